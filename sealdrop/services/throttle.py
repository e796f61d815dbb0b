"""Throttles: wrong codenames per hash and for the whole instance, and new sources per window.

Only events are recorded (a wrong codename, a new source), under keys that name no source, and
only for the window: a seized database shows no trace of a real source's logins.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from sealdrop.db.models import ThrottleEvent

LOGIN = "login:"  # + the hash of a wrong codename
CREATE = "create"


def _window_start(now: dt.datetime, window_seconds: int) -> dt.datetime:
    return now - dt.timedelta(seconds=window_seconds)


def count(session: Session, *, prefix: str, now: dt.datetime, window_seconds: int) -> int:
    """Events in the window whose key starts with `prefix` (LOGIN alone: every wrong codename)."""
    query = (
        select(func.count()).select_from(ThrottleEvent)
        .where(ThrottleEvent.at > _window_start(now, window_seconds))
        .where(ThrottleEvent.key.startswith(prefix, autoescape=True))
    )
    return int(session.scalar(query) or 0)


def record(session: Session, *, key: str, now: dt.datetime, window_seconds: int) -> None:
    """Remember one event and forget those older than the window; commits."""
    session.execute(
        delete(ThrottleEvent).where(ThrottleEvent.at <= _window_start(now, window_seconds))
    )
    session.add(ThrottleEvent(key=key, at=now))
    session.commit()
