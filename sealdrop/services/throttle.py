"""Login throttling by failed attempts, per codename hash and for the whole instance.

Only failures are recorded, keyed by the hash of what was typed, and only for the window: a seized
database shows no trace of a real source's successful logins.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from sealdrop.db.models import FailedLogin
from sealdrop.errors import LoginThrottled

GLOBAL_KEY = "*"


def _window_start(now: dt.datetime, window_seconds: int) -> dt.datetime:
    return now - dt.timedelta(seconds=window_seconds)


def failures(session: Session, *, key: str, now: dt.datetime, window_seconds: int) -> int:
    since = _window_start(now, window_seconds)
    query = select(func.count()).select_from(FailedLogin).where(FailedLogin.at > since)
    if key != GLOBAL_KEY:
        query = query.where(FailedLogin.key == key)
    return int(session.scalar(query) or 0)


def check(session: Session, *, key: str, limit: int, now: dt.datetime, window_seconds: int) -> None:
    """Raise LoginThrottled when `key` (or, with GLOBAL_KEY, anyone) failed `limit` times lately."""
    if failures(session, key=key, now=now, window_seconds=window_seconds) >= limit:
        raise LoginThrottled(
            "Too many codenames were tried in the last minute. Wait a minute, then try again."
        )


def record_failure(session: Session, *, key: str, now: dt.datetime, window_seconds: int) -> None:
    """Remember one failure and forget those older than the window; commits."""
    session.execute(delete(FailedLogin).where(FailedLogin.at <= _window_start(now, window_seconds)))
    session.add(FailedLogin(key=key, at=now))
    session.commit()
