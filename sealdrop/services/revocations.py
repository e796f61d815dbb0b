"""Logged-out source sessions: their cookies are refused until they would have expired anyway."""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sealdrop.db.models import RevokedSession


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def _round_up_to_day(moment: dt.datetime) -> dt.datetime:
    """The next midnight: a row tells the day a session would have ended, not the login's hour."""
    return moment.replace(hour=0, minute=0, second=0, microsecond=0) + dt.timedelta(days=1)


def revoke(session: Session, *, session_id: str, expires: dt.datetime, now: dt.datetime) -> None:
    """Refuse this session from now on; forget revocations whose sessions expired; commits."""
    session.execute(delete(RevokedSession).where(RevokedSession.expires < now))
    session.merge(RevokedSession(session_hash=_hash(session_id), expires=_round_up_to_day(expires)))
    try:
        session.commit()
    except IntegrityError:  # the same session logged out twice at once: once is enough
        session.rollback()


def is_revoked(session: Session, *, session_id: str) -> bool:
    query = select(RevokedSession.session_hash).where(
        RevokedSession.session_hash == _hash(session_id)
    )
    return session.scalar(query) is not None


def round_existing(session: Session) -> int:
    """Round the expiries recorded by older versions (to the hour) up to the day; commits."""
    rounded = 0
    for row in session.scalars(select(RevokedSession)):
        day = _round_up_to_day(row.expires - dt.timedelta(microseconds=1))
        if row.expires != day:
            row.expires = day
            rounded += 1
    session.commit()
    return rounded
