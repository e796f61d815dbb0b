"""The source interface: a Flask app that needs no JavaScript and loads nothing from elsewhere."""

from __future__ import annotations

import datetime as dt
import logging

from babel import Locale
from flask import Flask, g, request, session
from flask_babel import Babel, get_locale
from flask_wtf.csrf import CSRFProtect

from sealdrop import __version__
from sealdrop.config import Config
from sealdrop.services.instance import Instance, open_instance
from source_interface import errors, security
from source_interface.cookies import EncryptedCookieSessionInterface, derive_key
from source_interface.uploads import StreamingUploadRequest
from source_interface.views import auth, info, main

# Room for the form fields (CSRF token, message) on top of the files themselves.
FORM_OVERHEAD_BYTES = 64 * 1024


def _select_locale() -> str | None:
    config: Config = g.instance.config
    chosen = request.args.get("l")
    if chosen in config.languages:
        session["locale"] = chosen
    stored = session.get("locale")
    if stored in config.languages:
        return str(stored)
    return request.accept_languages.best_match(config.languages) or config.languages[0]


def language_name(code: str) -> str:
    """A language's own name for itself, as a chooser shows it to those who read only that one."""
    return str(Locale.parse(code).get_display_name(code) or code)


def create_app(config: Config, *, instance: Instance | None = None) -> Flask:
    """Build the source app for `config`; pass `instance` to share one already opened (tests)."""
    inst = instance or open_instance(config)
    secrets = config.require_secrets()
    app = Flask(__name__)
    app.request_class = StreamingUploadRequest
    app.session_interface = EncryptedCookieSessionInterface(secrets.source_session_key)
    app.config.update(
        SECRET_KEY=derive_key(secrets.source_session_key, "source csrf"),
        SESSION_COOKIE_NAME="sd_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        PERMANENT_SESSION_LIFETIME=dt.timedelta(minutes=config.session_minutes),
        WTF_CSRF_TIME_LIMIT=config.session_minutes * 60,
        WTF_CSRF_SSL_STRICT=False,  # onion services are http://; Tor secures the transport
        MAX_CONTENT_LENGTH=config.max_upload_bytes + config.max_message_bytes + FORM_OVERHEAD_BYTES,
        MAX_FORM_MEMORY_SIZE=config.max_message_bytes,
        BABEL_DEFAULT_LOCALE=config.languages[0],
        TEMPLATES_AUTO_RELOAD=False,
    )
    # Werkzeug's request log names the client; the source side logs no request at all.
    logging.getLogger("werkzeug").disabled = True
    app.extensions["sealdrop_instance"] = inst
    Babel(app, locale_selector=_select_locale)

    @app.before_request
    def open_request_context() -> None:
        g.instance = inst
        g.db = inst.sessions()
        g.today = dt.datetime.now(dt.UTC).date()

    @app.context_processor
    def page_context() -> dict[str, object]:
        return {
            "instance_name": config.instance_name,
            "version": __version__,
            "languages": [(code, language_name(code)) for code in config.languages],
            "current_locale": str(get_locale() or config.languages[0]),
        }

    @app.teardown_request
    def close_request_context(_exc: BaseException | None) -> None:
        db = g.pop("db", None)
        if db is not None:
            db.close()

    # Registered after the hook above, so CSRF failures render with the request context ready.
    csrf = CSRFProtect(app)
    # The submit view checks its CSRF token itself, after installing the upload sink: the
    # global check would parse the body first and drop the files.
    csrf.exempt(main.submit)
    security.install(app, expected_host=config.source_onion)
    errors.install(app)
    app.register_blueprint(main.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(info.bp)
    return app
