"""What every request of the source app gets: the instance, a database session, the language."""

from __future__ import annotations

import datetime as dt

from babel import Locale
from flask import Flask, current_app, g, request, session, url_for
from flask_babel import Babel, get_locale

from sealdrop import __version__
from sealdrop.config import Config
from sealdrop.runtime.instance import Instance


def language_name(code: str) -> str:
    """A language's own name for itself, as a chooser shows it to those who read only that one."""
    return str(Locale.parse(code).get_display_name(code) or code)


def _config() -> Config:
    # From the app, not `g`: error pages of hooks that run before the request context is
    # filled (the Host check, refusals of the server) are rendered in the right language too.
    inst: Instance = current_app.extensions["sealdrop_instance"]
    return inst.config


def _select_locale() -> str | None:
    config = _config()
    chosen = request.args.get("l")
    if chosen in config.languages:
        session["locale"] = chosen
    stored = session.get("locale")
    if stored in config.languages:
        return str(stored)
    return request.accept_languages.best_match(config.languages) or config.languages[0]


def language_link(code: str) -> str:
    """This page in another language, built from the route that matched, never from the raw path.

    A crafted path such as `/%5Cevil.example/` must not become a link off the onion; a page that
    matched no route, or took a POST, offers the start page in that language instead.
    """
    rule = request.url_rule
    if request.method == "GET" and rule is not None and request.endpoint != "static":
        return url_for(str(request.endpoint), **(request.view_args or {}), l=code)
    return url_for("main.index", l=code)


def install(app: Flask, inst: Instance) -> None:
    config = inst.config
    app.extensions["sealdrop_instance"] = inst
    Babel(app, locale_selector=_select_locale)

    @app.before_request
    def open_request_context() -> None:
        g.instance = inst
        g.db = inst.sessions()
        g.today = dt.datetime.now(dt.UTC).date()

    @app.teardown_request
    def close_request_context(_exc: BaseException | None) -> None:
        db = g.pop("db", None)
        if db is not None:
            db.close()

    @app.context_processor
    def page_context() -> dict[str, object]:
        return {
            "instance_name": config.instance_name,
            "version": __version__,
            "languages": [(code, language_name(code)) for code in config.languages],
            "language_link": language_link,
            "current_locale": str(get_locale() or config.languages[0]),
        }
