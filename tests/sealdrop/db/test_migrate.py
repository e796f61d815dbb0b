"""Migrations: up to head, down to base and up again with rows present; schema equals models."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, func, inspect, select
from sqlalchemy.orm import Session

from sealdrop.db import migrate
from sealdrop.db.engine import make_engine
from sealdrop.db.models import Base, Source, Submission

TABLES = {"sources", "submissions", "replies", "instance_settings", "failed_logins"}


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


def count(engine: Engine, model: type[Base]) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_upgrade_to_head(engine: Engine) -> None:
    assert migrate.current_revision(engine) is None

    migrate.upgrade(engine)

    assert migrate.current_revision(engine) == migrate.head_revision(engine) == "0001"
    assert migrate.head_revision(engine) == migrate.HEAD_REVISION, "update HEAD_REVISION"
    assert set(inspect(engine).get_table_names()) >= TABLES


def test_down_and_up_again_with_data(engine: Engine) -> None:
    migrate.upgrade(engine)
    add_rows(engine, "a")
    assert (count(engine, Source), count(engine, Submission)) == (1, 1)

    migrate.downgrade(engine, "base")

    assert migrate.current_revision(engine) is None
    assert not TABLES & set(inspect(engine).get_table_names())

    migrate.upgrade(engine)
    add_rows(engine, "b")
    assert (count(engine, Source), count(engine, Submission)) == (1, 1)
    migrate.downgrade(engine, "base")
    migrate.upgrade(engine, "head")
    assert migrate.current_revision(engine) == "0001"


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
