"""Throttle events: counted by key prefix within the window, forgotten once they leave it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sealdrop.db.models import ThrottleEvent
from sealdrop.services import throttle
from tests.harness import NOW

WINDOW = 60
WRONG = throttle.LOGIN + "a" * 52
OTHER = throttle.LOGIN + "b" * 52


def at(seconds: float) -> dt.datetime:
    return NOW + dt.timedelta(seconds=seconds)


def record(session: Session, key: str, seconds: float = 0) -> None:
    throttle.record(session, key=key, now=at(seconds), window_seconds=WINDOW)


def count(session: Session, prefix: str, seconds: float = 0) -> int:
    return throttle.count(session, prefix=prefix, now=at(seconds), window_seconds=WINDOW)


def test_counts_by_prefix(session: Session) -> None:
    for key in (WRONG, WRONG, OTHER, throttle.CREATE):
        record(session, key)

    assert count(session, WRONG) == 2
    assert count(session, OTHER) == 1
    assert count(session, throttle.LOGIN) == 3  # every wrong codename, whoever typed it
    assert count(session, throttle.CREATE) == 1


def test_prefix_is_literal(session: Session) -> None:
    """LIKE wildcards in a prefix match only themselves."""
    record(session, "login:abc")
    assert count(session, "login:a_c") == 0
    assert count(session, "login:%") == 0
    assert count(session, "login:a") == 1


def test_events_leave_the_window(session: Session) -> None:
    record(session, WRONG)
    record(session, WRONG, seconds=30)

    assert count(session, WRONG, seconds=WINDOW - 1) == 2
    assert count(session, WRONG, seconds=WINDOW) == 1  # exactly a window old: gone
    assert count(session, WRONG, seconds=30 + WINDOW) == 0


def test_recording_deletes_expired_events(session: Session) -> None:
    record(session, WRONG)
    record(session, throttle.CREATE, seconds=1)

    record(session, OTHER, seconds=WINDOW + 1)

    keys = session.scalars(select(ThrottleEvent.key)).all()
    assert keys == [OTHER]
    assert session.scalar(select(func.count()).select_from(ThrottleEvent)) == 1
