"""The constraints live in the database: each one refuses a bad row on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sealdrop.db.models import InstanceSettings, Reply, RevokedSession, Source, Submission

DAY = dt.date(2024, 1, 2)


def new_source(session: Session, tag: str = "a", **overrides: object) -> Source:
    values: dict[str, object] = {
        "filesystem_id": tag * 52,
        "journalist_designation": f"{tag} heron",
        "key_fingerprint": tag * 40,
        "created_on": DAY,
        "last_updated": DAY,
        "interaction_count": 0,
        **overrides,
    }
    source = Source(**values)
    session.add(source)
    session.flush()
    return source


def test_defaults(session: Session) -> None:
    source = new_source(session)
    session.commit()
    assert (source.is_starred, source.interaction_count, source.secret_key) == (False, 0, None)
    assert len(source.uuid) == 36


@pytest.mark.parametrize("column", ["filesystem_id", "journalist_designation", "key_fingerprint"])
def test_source_columns_are_unique(session: Session, column: str) -> None:
    first = new_source(session, "a")
    with pytest.raises(IntegrityError):
        new_source(session, "b", **{column: getattr(first, column)})


def test_interaction_count_cannot_go_negative(session: Session) -> None:
    with pytest.raises(IntegrityError):
        new_source(session, interaction_count=-1)


def test_submission_kind_is_checked(session: Session) -> None:
    source = new_source(session)
    session.add(
        Submission(
            source_id=source.id,
            filename="1-a-heron-x.gpg",
            kind="video",
            size=1,
            interaction_count=1,
        )
    )
    with pytest.raises(IntegrityError):
        session.flush()


def test_sizes_cannot_be_negative(session: Session) -> None:
    source = new_source(session)
    session.add(
        Reply(source_id=source.id, filename="1-a-heron-reply.gpg", size=-1, interaction_count=1)
    )
    with pytest.raises(IntegrityError):
        session.flush()


def test_submission_needs_its_source(session: Session) -> None:
    session.add(
        Submission(
            source_id=999, filename="1-a-heron-msg.gpg", kind="message", size=1, interaction_count=1
        )
    )
    with pytest.raises(IntegrityError):
        session.flush()


def test_stored_file_names_are_unique(session: Session) -> None:
    source = new_source(session)
    for _ in range(2):
        session.add(
            Submission(
                source_id=source.id,
                filename="1-a-heron-msg.gpg",
                kind="message",
                size=1,
                interaction_count=1,
            )
        )
    with pytest.raises(IntegrityError):
        session.flush()


def test_instance_settings_has_a_single_row(session: Session) -> None:
    session.add(InstanceSettings(id=1))
    session.flush()
    session.add(InstanceSettings(id=2))
    with pytest.raises(IntegrityError):
        session.flush()


def test_deleting_a_source_in_sql_cascades(session: Session) -> None:
    source = new_source(session)
    session.add(
        Submission(
            source_id=source.id,
            filename="1-a-heron-msg.gpg",
            kind="message",
            size=1,
            interaction_count=1,
        )
    )
    session.add(
        Reply(source_id=source.id, filename="2-a-heron-reply.gpg", size=1, interaction_count=2)
    )
    session.commit()

    # Plain SQL, so only the database's ON DELETE CASCADE (and SQLite's foreign_keys pragma) acts.
    session.execute(text("DELETE FROM sources"))
    session.commit()

    assert session.scalar(select(func.count()).select_from(Submission)) == 0
    assert session.scalar(select(func.count()).select_from(Reply)) == 0


def test_a_session_is_revoked_once(session: Session) -> None:
    moment = dt.datetime(2024, 5, 1, 13, 0, 0)
    session.add(RevokedSession(session_hash="a" * 64, expires=moment))
    session.flush()
    session.add(RevokedSession(session_hash="a" * 64, expires=moment))
    with pytest.raises(IntegrityError):
        session.flush()
