"""Rows written in plain SQL at a given revision (the models follow head, these must not),
and what the migration tests read back."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, inspect, text

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


def index_triggers(engine: Engine) -> list[str]:
    if engine.dialect.name == "postgresql":
        sql = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    with engine.connect() as connection:
        names = connection.execute(text(sql)).scalars()
        return [name for name in names if name.startswith("index_bump_")]
