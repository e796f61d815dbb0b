"""Migrations 0007 and 0008: the index generation its triggers keep, item checksums, and
sizes past 32 bits; on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import Engine, text

from sealdrop.db import migrate
from tests.sealdrop.db.migration_rows import (
    AT_0006,
    AT_0007,
    DAY,
    add_journalist_rows,
    add_source,
    columns,
    count,
    run,
    tables,
)


def generation(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT generation FROM index_state")).scalar_one())


def test_0007_counts_every_change_the_index_shows_and_goes_back(engine: Engine) -> None:
    migrate.upgrade(engine, "0006")
    add_source(engine, "g")
    migrate.upgrade(engine, "0007")
    assert tables(engine) == AT_0007
    seen = [generation(engine)]
    add_journalist_rows(engine)  # a journalist and a reply
    seen.append(generation(engine))
    add_source(engine, "h")  # a source and its message
    seen.append(generation(engine))
    for sql in (
        "UPDATE sources SET version = 'v1'",
        "UPDATE submissions SET version = 'v1'",
        "UPDATE replies SET version = 'v1'",
        "UPDATE journalists SET version = 'v1'",
        "DELETE FROM seen_submissions",
        "DELETE FROM submissions",
        "DELETE FROM replies",
    ):
        run(engine, sql)
        if not sql.startswith("DELETE FROM seen"):  # seen marks show through item versions
            seen.append(generation(engine))
    assert seen == sorted(set(seen)), f"every change bumps the generation: {seen}"

    unchanged = generation(engine)
    run(engine, "UPDATE sources SET is_starred = :yes", yes=True)  # the version columns cover it
    run(engine, "UPDATE journalists SET last_login = :day", day=DAY)
    assert generation(engine) == unchanged

    migrate.downgrade(engine, "0006")
    assert tables(engine) == AT_0006
    run(engine, "UPDATE sources SET version = 'v2'")  # no trigger left to fail on a lost table
    migrate.upgrade(engine, "0007")
    assert generation(engine) == 0


def test_a_transaction_bumps_once_per_row_on_sqlite_and_once_in_all_on_postgresql(
    engine: Engine,
) -> None:
    migrate.upgrade(engine)
    add_source(engine, "m")
    add_source(engine, "n")
    before = generation(engine)

    with engine.begin() as connection:
        connection.execute(text("UPDATE sources SET version = 'v1'"))
        connection.execute(text("UPDATE sources SET version = 'v2'"))

    bumps = 1 if engine.dialect.name == "postgresql" else 4
    assert generation(engine) == before + bumps


def test_0008_adds_checksums_and_keeps_the_index_triggers(engine: Engine) -> None:
    migrate.upgrade(engine, "0007")
    add_source(engine, "c")
    migrate.upgrade(engine, "0008")
    assert {"checksum"} <= columns(engine, "submissions") & columns(engine, "replies")
    before = generation(engine)
    run(engine, "UPDATE submissions SET checksum = :sum", sum="0" * 64)
    assert generation(engine) == before  # not something the index shows
    run(engine, "UPDATE submissions SET version = 'v3'")
    assert generation(engine) > before
    run(engine, "UPDATE submissions SET size = :big", big=3 * 2**30)  # past 32 bits

    run(engine, "UPDATE submissions SET size = 10")
    migrate.downgrade(engine, "0007")
    assert "checksum" not in columns(engine, "submissions")
    assert count(engine, "submissions") == 1
    run(engine, "UPDATE submissions SET version = 'v4'")
