"""The journalist interface: a Flask app for the newsroom, served on its own authenticated onion.

It shares nothing with the source app but the core and `web_shared`'s Flask plumbing: its own
process, port and session secret.
"""

from __future__ import annotations

import datetime as dt
import logging

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from journalist_interface import api, auth, context, errors, security
from journalist_interface.api import index_answers, v1_sources
from journalist_interface.views import (
    account,
    admin,
    devices,
    downloads,
    instance_settings,
    sources,
)
from sealdrop.config import Config
from sealdrop.errors import ConfigError
from sealdrop.runtime.instance import Instance, open_instance
from sealdrop.serving.compiled_templates import COMPILED_TEMPLATES
from web_shared.routing import SharedBuilderRule


class JournalistApp(Flask):
    url_rule_class = SharedBuilderRule

    def warm_up(self) -> None:
        """What the serving worker runs once it listens, before anyone needs it."""
        v1_sources.warm_up(self)
        index_answers.warm_up(self)


def create_app(config: Config, *, instance: Instance | None = None) -> Flask:
    """Build the journalist app for `config`; pass `instance` to share one already opened."""
    secrets = config.require_secrets()
    if secrets.journalist_session_key is None:
        raise ConfigError("The journalist session key is missing: run `sealdrop init` again.")
    inst = instance or open_instance(config)
    settings = config.journalist
    app = JournalistApp(__name__)
    app.jinja_env.bytecode_cache = COMPILED_TEMPLATES
    security.install(app, expected_host=settings.onion)
    app.config.update(
        SECRET_KEY=secrets.journalist_session_key,
        SESSION_COOKIE_NAME="sdj_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        # Checked on the signed cookie by the server, not only by the browser: idle sessions end.
        PERMANENT_SESSION_LIFETIME=dt.timedelta(minutes=settings.session_minutes),
        WTF_CSRF_TIME_LIMIT=settings.session_max_hours * 3600,
        WTF_CSRF_SSL_STRICT=False,  # onion services are http://; Tor secures the transport
        MAX_CONTENT_LENGTH=settings.serving.max_form_bytes,
        TEMPLATES_AUTO_RELOAD=False,
    )
    logging.getLogger("werkzeug").disabled = True
    # Key order means nothing to API clients; sorting a 10,000-source list costs a tenth of it.
    app.json.sort_keys = False  # type: ignore[attr-defined]
    context.install(app, inst)
    auth.install(app)
    csrf = CSRFProtect(app)
    csrf.exempt(api.bp)  # API clients prove themselves with a token header, not a cookie
    errors.install(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(sources.bp)
    app.register_blueprint(downloads.bp)
    app.register_blueprint(account.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(devices.bp)
    app.register_blueprint(instance_settings.bp)
    app.register_blueprint(instance_settings.public)
    app.register_blueprint(api.bp)
    return app
