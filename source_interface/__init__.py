"""The source interface: a Flask app that needs no JavaScript and loads nothing from elsewhere."""

from __future__ import annotations

import datetime as dt
import logging

from flask import Flask, Response, send_from_directory
from flask_wtf.csrf import CSRFProtect

from sealdrop.config import Config
from sealdrop.runtime.instance import Instance, open_instance
from sealdrop.serving.compiled_templates import COMPILED_TEMPLATES
from source_interface import busy, context, errors, refusals, security
from source_interface.cookies import EncryptedCookieSessionInterface, derive_key
from source_interface.limits import SMALL_FORM_PARTS
from source_interface.uploads import StreamingUploadRequest
from source_interface.views import auth, info, main
from web_shared.routing import SharedBuilderRule


class SourceApp(Flask):
    url_rule_class = SharedBuilderRule

    def send_static_file(self, filename: str) -> Response:
        """Static files without ETag, Last-Modified or 304s: each would tell the install time."""
        return send_from_directory(
            str(self.static_folder), filename, conditional=False, etag=False, max_age=None
        )


def create_app(config: Config, *, instance: Instance | None = None) -> Flask:
    """Build the source app for `config`; pass `instance` to share one already opened (tests)."""
    inst = instance or open_instance(config)
    secrets = config.require_secrets()
    app = SourceApp(__name__)
    app.jinja_env.bytecode_cache = COMPILED_TEMPLATES
    # First of all hooks: a request to the wrong name is refused before anything reads its body,
    # then a request the server refused gets its page and nothing else runs.
    security.install(app, expected_host=config.source.onion)
    refusals.install(app, retry_after_seconds=config.source.serving.busy_retry_after_seconds)
    app.request_class = StreamingUploadRequest
    app.session_interface = EncryptedCookieSessionInterface(secrets.source_session_key)
    app.config.update(
        SECRET_KEY=derive_key(secrets.source_session_key, "source csrf"),
        SESSION_COOKIE_NAME="sd_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        PERMANENT_SESSION_LIFETIME=dt.timedelta(minutes=config.source.session_minutes),
        # A token lives as long as the session may: a long upload over Tor must not outlast it.
        WTF_CSRF_TIME_LIMIT=config.source.session_max_hours * 3600,
        WTF_CSRF_SSL_STRICT=False,  # onion services are http://; Tor secures the transport
        # Small for every route; the submit view raises it for itself before reading the body.
        MAX_CONTENT_LENGTH=config.source.serving.max_form_bytes,
        MAX_FORM_MEMORY_SIZE=config.max_message_bytes,
        MAX_FORM_PARTS=SMALL_FORM_PARTS,
        BABEL_DEFAULT_LOCALE=config.languages[0],
        TEMPLATES_AUTO_RELOAD=False,
    )
    # Werkzeug's request log names the client; the source side logs no request at all.
    logging.getLogger("werkzeug").disabled = True
    context.install(app, inst)
    busy.install(app, per_session=config.source.uploads_per_session)
    # Registered after the hook above, so CSRF failures render with the request context ready.
    csrf = CSRFProtect(app)
    # The submit view checks the token of its query string itself, before the body is read:
    # the global check would parse the whole upload first, then throw it away if it failed.
    csrf.exempt(main.submit)
    errors.install(app)
    app.register_blueprint(main.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(info.bp)
    return app
