"""The append-only audit trail: who did what, to the day, each entry chained to the one before."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sealdrop.db.models import AuditEvent

GENESIS = "0" * 64
# Two admins acting at the same moment both read the same last entry; one insert loses on the
# unique link and tries again on the new last entry.
RECORD_ATTEMPTS = 5


@dataclass(frozen=True)
class Actor:
    """Who is doing what the trail records, and the day: the services that delete take one."""

    username: str
    today: dt.date


def _digest(previous: str, day: dt.date, actor: str, action: str, target: str) -> str:
    payload = json.dumps([previous, day.isoformat(), actor, action, target], ensure_ascii=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def _last_digest(session: Session) -> str:
    last = session.scalar(select(AuditEvent.digest).order_by(AuditEvent.id.desc()).limit(1))
    return last or GENESIS


def record(
    session: Session, *, actor: str, action: str, target: str = "", today: dt.date
) -> AuditEvent:
    """Add an entry in the caller's transaction; it commits with the change it describes.

    `target` names an account or a source's designation, never anything a source sent.
    """
    for attempt in range(RECORD_ATTEMPTS):
        previous = _last_digest(session)
        event = AuditEvent(
            day=today,
            actor=actor,
            action=action,
            target=target,
            previous_digest=previous,
            digest=_digest(previous, today, actor, action, target),
        )
        try:
            with session.begin_nested():
                session.add(event)
        except IntegrityError:
            if attempt == RECORD_ATTEMPTS - 1:
                raise
            continue
        return event
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


def recent(session: Session, *, limit: int = 200) -> list[AuditEvent]:
    """The newest entries first."""
    return list(session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)))


def broken_links(session: Session) -> list[str]:
    """One line per entry whose digest or link does not hold; empty when the chain is whole."""
    problems: list[str] = []
    previous = GENESIS
    for event in session.scalars(select(AuditEvent).order_by(AuditEvent.id)):
        if event.previous_digest != previous:
            problems.append(f"audit entry {event.id}: does not follow the entry before it")
        expected = _digest(
            event.previous_digest, event.day, event.actor, event.action, event.target
        )
        if event.digest != expected:
            problems.append(f"audit entry {event.id}: its content was changed")
        previous = event.digest
    return problems
