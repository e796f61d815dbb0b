"""Revoked source sessions: refused until they expire, stored as hashes with coarse expiries."""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from sealdrop.db.models import RevokedSession
from sealdrop.runtime.instance import Instance
from sealdrop.services.revocations import is_revoked, revoke, round_existing
from tests.harness import NOW

SESSION_ID = "k3VnR2-session-id-from-the-cookie"
OTHER_ID = "a-different-session-id"
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


def rows(session: Session) -> list[tuple[str, dt.datetime]]:
    query = select(RevokedSession.session_hash, RevokedSession.expires)
    return [(row.session_hash, row.expires) for row in session.execute(query)]


def test_a_revoked_session_is_refused_and_no_other(instance: Instance) -> None:
    with instance.sessions() as session:
        revoke(session, session_id=SESSION_ID, expires=NOW + 2 * HOUR, now=NOW)
    with instance.sessions() as session:
        assert is_revoked(session, session_id=SESSION_ID)
        assert not is_revoked(session, session_id=OTHER_ID)


def test_only_a_hash_and_a_daily_expiry_are_stored(instance: Instance) -> None:
    expires = dt.datetime(2024, 5, 1, 13, 34, 56, 789)
    with instance.sessions() as session:
        revoke(session, session_id=SESSION_ID, expires=expires, now=NOW)
        [(stored_hash, stored_expiry)] = rows(session)
        raw = session.execute(select(RevokedSession.__table__)).one()

    assert stored_hash == hashlib.sha256(SESSION_ID.encode()).hexdigest()
    assert stored_expiry == dt.datetime(2024, 5, 2, 0, 0, 0)  # rounded up, never down
    assert not any(SESSION_ID in str(value) for value in raw)


def test_hourly_expiries_of_older_versions_are_rounded_to_the_day(instance: Instance) -> None:
    with instance.sessions() as session:
        session.add(RevokedSession(session_hash="0" * 64, expires=dt.datetime(2024, 5, 1, 14)))
        session.add(RevokedSession(session_hash="1" * 64, expires=dt.datetime(2024, 5, 3)))
        session.commit()
        assert round_existing(session) == 1
        assert sorted(expiry for _, expiry in rows(session)) == [
            dt.datetime(2024, 5, 2),
            dt.datetime(2024, 5, 3),
        ]


def test_revoking_twice_keeps_one_row(instance: Instance) -> None:
    with instance.sessions() as session:
        revoke(session, session_id=SESSION_ID, expires=NOW + HOUR, now=NOW)
        revoke(session, session_id=SESSION_ID, expires=NOW + HOUR, now=NOW + dt.timedelta(1 / 24))
        assert len(rows(session)) == 1
        assert is_revoked(session, session_id=SESSION_ID)


def test_expired_revocations_are_purged(instance: Instance) -> None:
    with instance.sessions() as session:
        revoke(session, session_id=SESSION_ID, expires=NOW + HOUR / 2, now=NOW)  # kept to May 2
        revoke(session, session_id=OTHER_ID, expires=NOW + DAY, now=NOW + HOUR)  # to May 3
        assert is_revoked(session, session_id=SESSION_ID)

        revoke(session, session_id="third", expires=NOW + 2 * DAY, now=NOW + DAY)

        assert not is_revoked(session, session_id=SESSION_ID)
        assert is_revoked(session, session_id=OTHER_ID)
        assert len(rows(session)) == 2
