"""Who is logged in, kept in the encrypted session; views ask for a source with @login_required."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import flash, g, redirect, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from sealdrop.services import Passphrase, sources

P = ParamSpec("P")
R = TypeVar("R")


def log_in(login: sources.SourceLogin) -> None:
    log_out()  # a fresh session for the new login, keeping only the chosen language
    session["source_uuid"] = login.source.uuid
    session["reply_passphrase"] = login.reply_passphrase


def log_out() -> None:
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale


def load_source() -> bool:
    """Put the logged-in source and its passphrase on `g`; False when nobody is logged in."""
    source_uuid = session.get("source_uuid")
    if not source_uuid:
        return False
    source = sources.source_by_uuid(g.db, str(source_uuid))
    if source is None:
        log_out()
        return False
    g.source = source
    g.reply_passphrase = Passphrase(str(session["reply_passphrase"]))
    session.modified = True  # re-seal the cookie: its timestamp measures inactivity
    return True


def login_required(view: Callable[P, ResponseReturnValue]) -> Callable[P, ResponseReturnValue]:
    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> ResponseReturnValue:
        if not load_source():
            flash(_("Your session ended. Log in with your codename to continue."), "error")
            return redirect(url_for("auth.login"))
        return view(*args, **kwargs)

    return wrapper
