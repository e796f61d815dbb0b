"""The source interface: a Flask app that needs no JavaScript and loads nothing from elsewhere."""

from __future__ import annotations

import datetime as dt
import logging

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from sealdrop.config import Config
from sealdrop.services.instance import Instance, open_instance
from source_interface import context, errors, refusals, security
from source_interface.cookies import EncryptedCookieSessionInterface, derive_key
from source_interface.uploads import StreamingUploadRequest
from source_interface.views import auth, info, main

# Room for the form fields (CSRF token, message) on top of the files themselves.
FORM_OVERHEAD_BYTES = 64 * 1024
# Form parts per request: the token, the message and up to 30 files. Text fields are held in
# memory, each up to the message limit, so this also bounds what one request can make us hold.
MAX_FORM_PARTS = 32


def create_app(config: Config, *, instance: Instance | None = None) -> Flask:
    """Build the source app for `config`; pass `instance` to share one already opened (tests)."""
    inst = instance or open_instance(config)
    secrets = config.require_secrets()
    app = Flask(__name__)
    # First of all hooks: a request the server refused gets its page and nothing else runs.
    refusals.install(app, retry_after_seconds=config.busy_retry_after_seconds)
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
        MAX_FORM_PARTS=MAX_FORM_PARTS,
        BABEL_DEFAULT_LOCALE=config.languages[0],
        TEMPLATES_AUTO_RELOAD=False,
    )
    # Werkzeug's request log names the client; the source side logs no request at all.
    logging.getLogger("werkzeug").disabled = True
    context.install(app, inst)
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
