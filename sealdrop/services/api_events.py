"""Results of journalist API v2 events kept by id, so a client repeating an event (after a lost
answer, say) gets the first result and the event has effect once."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sealdrop.db.models import ApiEvent, Journalist

MAX_ID_CHARS = 64
# A client repeats an event within minutes (a lost answer); older results are dropped.
RETENTION = dt.timedelta(days=7)


@dataclass(frozen=True)
class Outcome:
    """What an event did: an HTTP status and a message for the client, or None."""

    status: int
    message: str | None = None


def recorded(session: Session, journalist: Journalist, event_id: str) -> Outcome | None:
    row = session.get(ApiEvent, (journalist.id, event_id))
    return None if row is None else Outcome(row.status, row.message)


def record(
    session: Session, journalist: Journalist, event_id: str, outcome: Outcome, *, today: dt.date
) -> Outcome:
    """Keep the outcome; if the same id was recorded meanwhile, that first outcome wins."""
    session.execute(delete(ApiEvent).where(ApiEvent.day < today - RETENTION))
    try:
        with session.begin_nested():
            session.add(
                ApiEvent(
                    journalist_id=journalist.id,
                    event_id=event_id,
                    status=outcome.status,
                    message=outcome.message,
                    day=today,
                )
            )
        session.commit()
    except IntegrityError:
        session.rollback()
        first = recorded(session, journalist, event_id)
        if first is not None:
            return first
        raise
    return outcome
