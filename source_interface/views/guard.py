"""Who is logged in, kept in the encrypted session; views ask for a source with @login_required.

The session holds the source's id (the scrypt hash of its codename) and its reply-key
passphrase, never the codename. A source with no submission yet has no row: `g.source` is then
a NewSource, whose first submission makes the row. A login gets a random session id and its
start time. Logging out revokes the id on the server,
so a copy of the cookie stops working; an idle session ends after `session_minutes` (the cookie's
seal ages) and any session after `session_max_hours`.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import flash, g, redirect, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from sealdrop.domain.keys import Passphrase
from sealdrop.services import revocations, sources
from sealdrop.services.sources import NewSource

P = ParamSpec("P")
R = TypeVar("R")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def log_in(login: sources.SourceLogin | NewSource) -> None:
    """Start a session for a source with a row (a login) or without one yet (a new codename)."""
    log_out()  # a fresh session for the new login, keeping only the chosen language
    session["sid"] = secrets.token_urlsafe(32)
    session["since"] = int(time.time())
    if isinstance(login, NewSource):
        session["filesystem_id"], session["has_row"] = login.filesystem_id, False
    else:
        session["filesystem_id"], session["has_row"] = login.source.filesystem_id, True
    session["reply_passphrase"] = login.reply_passphrase


def _expires() -> dt.datetime:
    since = dt.datetime.fromtimestamp(int(session.get("since", 0)), dt.UTC).replace(tzinfo=None)
    return since + dt.timedelta(hours=g.instance.config.source.session_max_hours)


def log_out() -> None:
    if "sid" in session:
        revocations.revoke(g.db, session_id=str(session["sid"]), expires=_expires(), now=_now())
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale


def load_source() -> bool:
    """Put the logged-in source and its passphrase on `g`; False when nobody is logged in."""
    if "sid" not in session:
        return False
    if "filesystem_id" not in session:  # a cookie sealed by an older version: start afresh
        log_out()
        return False
    if _expires() <= _now() or revocations.is_revoked(g.db, session_id=str(session["sid"])):
        log_out()
        return False
    passphrase = Passphrase(str(session.get("reply_passphrase", "")))
    source = sources.find(g.db, str(session["filesystem_id"]))
    if source is None and session.get("has_row", True):
        log_out()  # the source was deleted meanwhile
        return False
    session["has_row"] = source is not None
    g.source = source or NewSource(str(session["filesystem_id"]), passphrase)
    g.reply_passphrase = passphrase
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
