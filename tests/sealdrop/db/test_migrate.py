"""Migrations: up to head, down through each revision and up again with rows present."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError

from sealdrop.db import migrate
from sealdrop.db.engine import make_engine
from sealdrop.db.models import Base

KEPT = {"sources", "submissions", "replies", "instance_settings"}
AT_0001 = KEPT | {"failed_logins"}
AT_0002 = KEPT | {"throttle_events", "revoked_sessions"}
AT_0003 = KEPT | {"revoked_sessions"}
ACCOUNTS = {"journalists", "api_tokens", "seen_submissions", "seen_replies", "audit_events"}
AT_0004 = AT_0003 | ACCOUNTS
AT_0005 = AT_0004 | {"reader_keys", "submission_reader_keys", "reply_reader_keys"}
AT_0006 = AT_0005 | {"api_events"}
AT_0007 = AT_0006 | {"index_state"}
AT_0008 = AT_0007
AT_0009 = AT_0008 | {"journalist_devices"}
MOMENT = dt.datetime(2024, 5, 1, 12, 0, 0)
DAY = dt.date(2024, 1, 2)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    try:
        yield engine
    finally:
        engine.dispose()


def run(engine: Engine, sql: str, **values: object) -> None:
    with engine.begin() as connection:
        connection.execute(text(sql), values)


def add_source(
    engine: Engine, tag: str, *, pending: bool | None = None, submissions: int = 1
) -> None:
    """A source (with `pending` before 0003) and its submissions, in SQL: models change."""
    columns = (
        "uuid, filesystem_id, journalist_designation, key_fingerprint, interaction_count,"
        " is_starred, created_on, last_updated"
    )
    values = ":uuid, :fsid, :designation, :fpr, 1, :no, :day, :day"
    if pending is not None:
        columns, values = columns + ", pending", values + ", :pending"
    run(
        engine,
        f"INSERT INTO sources ({columns}) VALUES ({values})",  # noqa: S608 - fixed text
        uuid=tag * 36,
        fsid=tag * 52,
        designation=f"{tag} heron",
        fpr=tag * 40,
        no=False,
        day=DAY,
        pending=pending,
    )
    for n in range(1, submissions + 1):
        run(
            engine,
            "INSERT INTO submissions (uuid, source_id, filename, kind, size,"
            " interaction_count, is_read) SELECT :uuid, id, :name, 'message', 10, :n, :no"
            " FROM sources WHERE filesystem_id = :fsid",
            uuid=f"{tag}{n}".ljust(36, "0"),
            name=f"{n}-{tag}-heron-msg.gpg",
            n=n,
            no=False,
            fsid=tag * 52,
        )


def add_0002_rows(engine: Engine) -> None:
    run(engine, "INSERT INTO throttle_events (key, at) VALUES ('create', :at)", at=MOMENT)
    run(
        engine,
        "INSERT INTO revoked_sessions (session_hash, expires) VALUES (:h, :at)",
        h="0" * 64,
        at=MOMENT,
    )


def count(engine: Engine, table: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())  # noqa: S608


def tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def columns(engine: Engine, table: str) -> set[str]:
    return {column["name"] for column in inspect(engine).get_columns(table)}


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


def add_journalist_rows(engine: Engine) -> None:
    """A journalist who replied, saw a message, holds a token and left an audit event."""
    run(
        engine,
        "INSERT INTO journalists (uuid, username, is_admin, passphrase_hash, otp_kind,"
        " otp_secret, hotp_counter, session_epoch, created_on)"
        " VALUES (:uuid, 'dana', :no, 'h', 'totp', 'S', 0, 0, :day)",
        uuid="j" * 36,
        no=False,
        day=DAY,
    )
    run(
        engine,
        "INSERT INTO replies (uuid, source_id, filename, size, interaction_count,"
        " deleted_by_source, journalist_id) SELECT :uuid, s.id, '2-a-heron-reply.gpg', 5, 2, :no,"
        " j.id FROM sources s, journalists j",
        uuid="r" * 36,
        no=False,
    )
    run(
        engine,
        "INSERT INTO seen_submissions (submission_id, journalist_id)"
        " SELECT s.id, j.id FROM submissions s, journalists j",
    )
    run(
        engine,
        "INSERT INTO api_tokens (token_hash, journalist_id, expires)"
        " SELECT :h, id, :at FROM journalists",
        h="1" * 64,
        at=MOMENT,
    )
    run(
        engine,
        "INSERT INTO audit_events (day, actor, action, target, previous_digest, digest)"
        " VALUES (:day, 'dana', 'reply', '', :zero, :one)",
        day=DAY,
        zero="0" * 64,
        one="1" * 64,
    )


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


def add_reply(engine: Engine, tag: str, n: int) -> None:
    run(
        engine,
        "INSERT INTO replies (uuid, source_id, filename, size, interaction_count,"
        " deleted_by_source) SELECT :uuid, id, :name, 10, :n, :no FROM sources"
        " WHERE filesystem_id = :fsid",
        uuid=f"r{tag}{n}".ljust(36, "0"),
        name=f"{n}-{tag}-heron-reply.gpg",
        n=n,
        no=False,
        fsid=tag * 52,
    )


def rows(engine: Engine, sql: str) -> list[tuple[object, ...]]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql))]


def test_0004_to_0005_makes_the_submission_key_the_first_reader_key(engine: Engine) -> None:
    migrate.upgrade(engine, "0004")
    run(
        engine,
        "INSERT INTO instance_settings (id, submission_key_fingerprint, submission_public_key,"
        " allow_document_uploads) VALUES (1, :fpr, 'armored', :yes)",
        fpr="F" * 40,
        yes=True,
    )
    add_source(engine, "a", submissions=2)
    add_reply(engine, "a", 3)

    migrate.upgrade(engine, "0005")

    assert tables(engine) == AT_0005
    assert not {"submission_key_fingerprint", "submission_public_key"} & columns(
        engine, "instance_settings"
    )
    [(key_id, fingerprint, armored, state, added_on, retired_on)] = rows(
        engine, "SELECT id, fingerprint, public_key, state, added_on, retired_on FROM reader_keys"
    )
    assert (fingerprint, armored, state, retired_on) == ("F" * 40, "armored", "active", None)
    # A day, never a moment (SQLite hands dates back as text).
    assert str(added_on) == str(dt.datetime.now(dt.UTC).date())
    # Everything stored so far went to the only key the instance had.
    assert rows(engine, "SELECT reader_key_id FROM submission_reader_keys") == [(key_id,)] * 2
    assert rows(engine, "SELECT reader_key_id FROM reply_reader_keys") == [(key_id,)]
    assert (count(engine, "sources"), count(engine, "submissions")) == (1, 2)


def test_0004_to_0005_without_a_key_or_with_one_still_in_an_old_keyring(engine: Engine) -> None:
    migrate.upgrade(engine, "0004")
    add_source(engine, "a")
    migrate.upgrade(engine, "0005")
    assert (count(engine, "reader_keys"), count(engine, "submission_reader_keys")) == (0, 0)

    migrate.downgrade(engine, "0004")
    # Before 0004's keyring move the settings knew the fingerprint only; init fills the key in.
    run(
        engine,
        "INSERT INTO instance_settings (id, submission_key_fingerprint, allow_document_uploads)"
        " VALUES (1, :fpr, :yes)",
        fpr="E" * 40,
        yes=True,
    )
    migrate.upgrade(engine, "0005")
    assert rows(engine, "SELECT fingerprint, public_key FROM reader_keys") == [("E" * 40, None)]


def test_0005_down_to_0004_keeps_the_oldest_active_key(engine: Engine) -> None:
    migrate.upgrade(engine)
    run(engine, "INSERT INTO instance_settings (id, allow_document_uploads) VALUES (1, :y)", y=True)
    add_source(engine, "a")
    for fingerprint, state, added, retired in (
        ("A" * 40, "retired", DAY, DAY),
        ("B" * 40, "active", dt.date(2024, 1, 3), None),
        ("C" * 40, "active", dt.date(2024, 1, 4), None),
    ):
        run(
            engine,
            "INSERT INTO reader_keys (fingerprint, public_key, state, added_on, retired_on)"
            " VALUES (:fpr, :armored, :state, :added, :retired)",
            fpr=fingerprint,
            armored=f"key {fingerprint[0]}",
            state=state,
            added=added,
            retired=retired,
        )
    run(
        engine,
        "INSERT INTO submission_reader_keys (submission_id, reader_key_id)"
        " SELECT submissions.id, reader_keys.id FROM submissions CROSS JOIN reader_keys",
    )

    migrate.downgrade(engine, "0004")

    assert tables(engine) == AT_0004
    assert rows(
        engine, "SELECT submission_key_fingerprint, submission_public_key FROM instance_settings"
    ) == [("B" * 40, "key B")]
    assert (count(engine, "sources"), count(engine, "submissions")) == (1, 1)

    migrate.upgrade(engine)
    assert rows(engine, "SELECT fingerprint, state FROM reader_keys") == [("B" * 40, "active")]
    assert count(engine, "submission_reader_keys") == 1


def test_a_reader_key_state_is_checked_by_the_database(engine: Engine) -> None:
    migrate.upgrade(engine)
    with pytest.raises(IntegrityError):
        run(
            engine,
            "INSERT INTO reader_keys (fingerprint, state, added_on) VALUES (:f, 'retired', :d)",
            f="D" * 40,
            d=DAY,
        )


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


def index_triggers(engine: Engine) -> list[str]:
    if engine.dialect.name == "postgresql":
        sql = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    with engine.connect() as connection:
        names = connection.execute(text(sql)).scalars()
        return [name for name in names if name.startswith("index_bump_")]


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
