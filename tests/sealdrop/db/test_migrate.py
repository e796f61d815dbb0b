"""Migrations: up to head, down through each revision and up again with rows present."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, func, inspect, select, text
from sqlalchemy.orm import Session

from sealdrop.db import migrate
from sealdrop.db.engine import make_engine
from sealdrop.db.models import Base, RevokedSession, Source, Submission, ThrottleEvent

KEPT = {"sources", "submissions", "replies", "instance_settings"}
AT_0001 = KEPT | {"failed_logins"}
AT_0002 = KEPT | {"throttle_events", "revoked_sessions"}
MOMENT = dt.datetime(2024, 5, 1, 12, 0, 0)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    try:
        yield engine
    finally:
        engine.dispose()


def add_rows(engine: Engine, tag: str) -> None:
    with Session(engine) as session:
        source = Source(
            filesystem_id=tag * 52, journalist_designation=f"{tag} heron",
            key_fingerprint=tag * 40, created_on=dt.date(2024, 1, 2),
            last_updated=dt.date(2024, 1, 2), interaction_count=1,
        )
        session.add(source)
        session.flush()
        session.add(Submission(source_id=source.id, filename=f"1-{tag}-heron-msg.gpg",
                               kind="message", size=10, interaction_count=1))
        session.commit()


def add_failed_login(engine: Engine) -> None:
    """A row in 0001's table, written in SQL: the models no longer know it."""
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO failed_logins (key, at) VALUES (:key, :at)"),
                           {"key": "f" * 52, "at": MOMENT})


def add_0002_rows(engine: Engine) -> None:
    with Session(engine) as session:
        session.add(ThrottleEvent(key="create", at=MOMENT))
        session.add(RevokedSession(session_hash="0" * 64, expires=MOMENT))
        session.commit()


def count(engine: Engine, model: type[Base]) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def test_upgrade_to_head(engine: Engine) -> None:
    assert migrate.current_revision(engine) is None

    migrate.upgrade(engine)

    assert migrate.current_revision(engine) == migrate.head_revision(engine) == "0002"
    assert migrate.head_revision(engine) == migrate.HEAD_REVISION, "update HEAD_REVISION"
    assert tables(engine) == AT_0002


def test_0001_to_0002_keeps_sources_and_drops_old_throttle_rows(engine: Engine) -> None:
    migrate.upgrade(engine, "0001")
    assert tables(engine) == AT_0001
    add_rows(engine, "a")
    add_failed_login(engine)

    migrate.upgrade(engine)

    assert tables(engine) == AT_0002
    assert (count(engine, Source), count(engine, Submission)) == (1, 1)
    assert (count(engine, ThrottleEvent), count(engine, RevokedSession)) == (0, 0)


def test_0002_down_to_0001_and_base_with_data(engine: Engine) -> None:
    migrate.upgrade(engine)
    add_rows(engine, "a")
    add_0002_rows(engine)

    migrate.downgrade(engine, "0001")

    assert migrate.current_revision(engine) == "0001"
    assert tables(engine) == AT_0001
    assert (count(engine, Source), count(engine, Submission)) == (1, 1)
    add_failed_login(engine)  # the recreated table takes rows again

    migrate.downgrade(engine, "base")

    assert migrate.current_revision(engine) is None
    assert tables(engine) == set()


def test_down_and_up_again_with_data(engine: Engine) -> None:
    migrate.upgrade(engine)
    add_rows(engine, "a")
    add_0002_rows(engine)
    migrate.downgrade(engine, "base")

    migrate.upgrade(engine)
    add_rows(engine, "b")
    add_0002_rows(engine)
    assert (count(engine, Source), count(engine, ThrottleEvent)) == (1, 1)
    migrate.downgrade(engine, "0001")
    add_failed_login(engine)
    migrate.upgrade(engine, "head")

    assert migrate.current_revision(engine) == "0002"
    assert (count(engine, Source), count(engine, Submission)) == (1, 1)
    assert (count(engine, ThrottleEvent), count(engine, RevokedSession)) == (0, 0)


def test_upgrade_twice_is_harmless(engine: Engine) -> None:
    migrate.upgrade(engine)
    add_rows(engine, "c")
    migrate.upgrade(engine)
    assert count(engine, Submission) == 1


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    migrate.upgrade(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                               "compare_server_default": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []
