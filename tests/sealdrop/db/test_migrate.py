"""Migrations: up to head, down through each revision and up again with rows present."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from sealdrop.db import migrate
from sealdrop.db.models import Base
from tests.sealdrop.db.migration_rows import (
    AT_0001,
    AT_0002,
    AT_0003,
    AT_0004,
    AT_0005,
    AT_0006,
    AT_0008,
    AT_0009,
    DAY,
    MOMENT,
    add_0002_rows,
    add_journalist_rows,
    add_source,
    columns,
    count,
    index_triggers,
    run,
    tables,
)


def test_upgrade_to_head(engine: Engine) -> None:
    assert migrate.current_revision(engine) is None

    migrate.upgrade(engine)

    assert migrate.current_revision(engine) == migrate.head_revision(engine)
    assert migrate.head_revision(engine) == migrate.HEAD_REVISION, "update HEAD_REVISION"
    assert tables(engine) == AT_0009
    # A later migration rebuilding one of these tables on SQLite would drop its trigger.
    for table in ("sources", "submissions", "replies", "journalists"):
        assert any(table in name for name in index_triggers(engine)), table


def test_0001_to_0002_keeps_sources_and_drops_old_throttle_rows(engine: Engine) -> None:
    migrate.upgrade(engine, "0001")
    assert tables(engine) == AT_0001
    add_source(engine, "a", pending=False)
    run(engine, "INSERT INTO failed_logins (key, at) VALUES (:key, :at)", key="f" * 52, at=MOMENT)

    migrate.upgrade(engine, "0002")

    assert tables(engine) == AT_0002
    assert (count(engine, "sources"), count(engine, "submissions")) == (1, 1)
    assert (count(engine, "throttle_events"), count(engine, "revoked_sessions")) == (0, 0)


def test_0002_to_0003_removes_pending_sources_and_the_throttle_table(engine: Engine) -> None:
    migrate.upgrade(engine, "0002")
    add_source(engine, "a", pending=False)
    add_source(engine, "b", pending=True, submissions=0)
    add_0002_rows(engine)

    migrate.upgrade(engine, "0003")

    assert tables(engine) == AT_0003
    assert (count(engine, "sources"), count(engine, "submissions")) == (1, 1)
    assert count(engine, "revoked_sessions") == 1
    assert {"public_key", "secret_key"} <= columns(engine, "sources")
    assert "pending" not in columns(engine, "sources")
    assert "submission_public_key" in columns(engine, "instance_settings")


def test_0003_down_to_0002_0001_and_base_with_data(engine: Engine) -> None:
    migrate.upgrade(engine)
    add_source(engine, "a")
    run(engine, "UPDATE sources SET public_key = 'k', secret_key = :s", s=b"secret")

    migrate.downgrade(engine, "0002")

    assert tables(engine) == AT_0002
    assert "pending" in columns(engine, "sources")
    assert "secret_key" not in columns(engine, "sources")
    assert (count(engine, "sources"), count(engine, "submissions")) == (1, 1)
    add_0002_rows(engine)  # the recreated throttle table takes rows again
    add_source(engine, "c", pending=True, submissions=0)

    migrate.downgrade(engine, "0001")
    assert tables(engine) == AT_0001
    migrate.downgrade(engine, "base")
    assert migrate.current_revision(engine) is None
    assert tables(engine) == set()


def test_down_and_up_again_with_data(engine: Engine) -> None:
    migrate.upgrade(engine)
    add_source(engine, "a")
    migrate.downgrade(engine, "0002")
    add_source(engine, "b", pending=True, submissions=0)
    add_0002_rows(engine)

    migrate.upgrade(engine, "head")

    assert migrate.current_revision(engine) == migrate.HEAD_REVISION
    assert (count(engine, "sources"), count(engine, "submissions")) == (1, 1)


def test_0004_adds_accounts_beside_the_rows_and_goes_back(engine: Engine) -> None:
    migrate.upgrade(engine, "0003")
    add_source(engine, "a")
    run(
        engine,
        "INSERT INTO instance_settings (id, allow_document_uploads) VALUES (1, :yes)",
        yes=True,
    )

    migrate.upgrade(engine, "0004")

    assert tables(engine) == AT_0004
    with engine.connect() as connection:
        minimum = connection.execute(text("SELECT min_message_length FROM instance_settings"))
        assert minimum.scalar_one() == 0
    add_journalist_rows(engine)
    assert count(engine, "seen_submissions") == 1

    migrate.downgrade(engine, "0003")

    assert tables(engine) == AT_0003
    assert (count(engine, "sources"), count(engine, "submissions"), count(engine, "replies")) == (
        1,
        1,
        1,
    )
    assert "journalist_id" not in columns(engine, "replies")


def test_upgrade_twice_is_harmless(engine: Engine) -> None:
    migrate.upgrade(engine)
    add_source(engine, "c")
    migrate.upgrade(engine)
    assert count(engine, "submissions") == 1


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    migrate.upgrade(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_0006_adds_processed_api_events_and_goes_back(engine: Engine) -> None:
    migrate.upgrade(engine, "0005")
    add_source(engine, "e")
    add_journalist_rows(engine)

    migrate.upgrade(engine, "0006")

    assert tables(engine) == AT_0006
    run(
        engine,
        "INSERT INTO api_events (journalist_id, event_id, status, message, day)"
        " SELECT id, '4242', 200, NULL, :day FROM journalists",
        day=DAY,
    )
    run(engine, "DELETE FROM journalists")
    assert count(engine, "api_events") == 0  # an account's results go with it

    migrate.downgrade(engine, "0005")

    assert tables(engine) == AT_0005
    assert count(engine, "sources") == 1


def test_0009_adds_journalist_devices_that_go_with_their_account_and_goes_back(
    engine: Engine,
) -> None:
    migrate.upgrade(engine, "0008")
    add_journalist_rows(engine)

    migrate.upgrade(engine, "0009")

    assert tables(engine) == AT_0009
    insert = (
        "INSERT INTO journalist_devices (uuid, journalist_id, name, public_key, created_on)"
        " SELECT :uuid, id, 'laptop', :key, :day FROM journalists"
    )
    run(engine, insert, uuid="d" * 36, key="A" * 52, day=DAY)
    with pytest.raises(IntegrityError):  # only a 52-character base32 key fits
        run(engine, insert, uuid="e" * 36, key="B" * 51, day=DAY)
    run(engine, "DELETE FROM journalists")
    assert count(engine, "journalist_devices") == 0  # a deleted account's devices go with it

    migrate.downgrade(engine, "0008")

    assert tables(engine) == AT_0008
