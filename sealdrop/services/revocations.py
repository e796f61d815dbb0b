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


def _round_up_to_hour(moment: dt.datetime) -> dt.datetime:
    return moment.replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)


def revoke(session: Session, *, session_id: str, expires: dt.datetime, now: dt.datetime) -> None:
    """Refuse this session from now on; forget revocations whose sessions expired; commits."""
    session.execute(delete(RevokedSession).where(RevokedSession.expires < now))
    session.merge(
        RevokedSession(session_hash=_hash(session_id), expires=_round_up_to_hour(expires))
    )
    try:
        session.commit()
    except IntegrityError:  # the same session logged out twice at once: once is enough
        session.rollback()


def is_revoked(session: Session, *, session_id: str) -> bool:
    query = select(RevokedSession.session_hash).where(
        RevokedSession.session_hash == _hash(session_id)
    )
    return session.scalar(query) is not None
