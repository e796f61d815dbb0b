"""Consistent copies of a live database, and putting one back: SQLite's online backup, pg_dump.

Both run while the apps write: SQLite copies every page under one read lock (writers wait a
moment, their busy timeout covers it); pg_dump reads one transaction's snapshot.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import make_url

from sealdrop.db.engine import BUSY_TIMEOUT_MS, DB_FILE_MODE
from sealdrop.errors import BackupFailed

PG_TOOL_SECONDS = 24 * 3600
T = TypeVar("T")


def is_postgresql(url: str) -> bool:
    return make_url(url).get_backend_name() == "postgresql"


def snapshot_sqlite(live: Path, copy: Path) -> None:
    """Copy the SQLite database `live` into the new file `copy` (made 0600), consistently."""
    if not live.is_file():
        raise BackupFailed(f"the database {live} does not exist: run `sealdrop init` first")
    os.close(os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_EXCL, DB_FILE_MODE))
    source = sqlite3.connect(live, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        with contextlib.closing(sqlite3.connect(copy)) as target:
            # The copy lives in RAM: no journal beside it, nothing to sync.
            target.execute("PRAGMA journal_mode=OFF")
            source.backup(target)
    except sqlite3.Error as exc:
        raise BackupFailed(f"cannot copy the database: {exc}") from None
    finally:
        source.close()


def _libpq_env(url: str) -> dict[str, str]:
    """The connection as libpq variables: a password never shows on a command line."""
    parsed = make_url(url)
    values = {
        "PGHOST": parsed.host,
        "PGPORT": str(parsed.port) if parsed.port else None,
        "PGUSER": parsed.username,
        "PGPASSWORD": parsed.password,
        "PGDATABASE": parsed.database,
    }
    for key, value in parsed.query.items():
        if key == "host":  # a unix socket directory, as psycopg takes it
            values["PGHOST"] = value if isinstance(value, str) else value[0]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update({key: value for key, value in values.items() if value})
    return env


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupFailed(
            f"{name} is not installed: the database is PostgreSQL, and its backups need the "
            "PostgreSQL client (apt-get install postgresql-client)"
        )
    return found


def _run(argv: list[str], url: str, what: str) -> None:
    done = subprocess.run(  # noqa: S603 - a PostgreSQL tool, fixed arguments
        argv,
        env=_libpq_env(url),
        capture_output=True,
        text=True,
        timeout=PG_TOOL_SECONDS,
        check=False,
    )
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines() or ["no message"]
        raise BackupFailed(f"{what} failed: {lines[-1]}")


def dump_postgresql(engine: Engine, dump: Path, *, inspect: Callable[[Connection], T]) -> T:
    """pg_dump of the database into the new file `dump` (0600), in its custom format; returns
    what `inspect` read in the very snapshot pg_dump copied (exported to it by id)."""
    tool = _pg_tool("pg_dump")
    url = engine.url.render_as_string(hide_password=False)
    os.close(os.open(dump, os.O_WRONLY | os.O_CREAT | os.O_EXCL, DB_FILE_MODE))
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection:
        snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
        seen = inspect(connection)
        argv = [tool, "--format=custom", "--no-owner", "--no-privileges", f"--file={dump}"]
        _run([*argv, f"--snapshot={snapshot}"], url, "pg_dump")
        connection.rollback()
    return seen


def restore_postgresql(url: str, dump: Path) -> None:
    """Load a custom-format dump into the database `url`, which must hold no Sealdrop tables."""
    tool = _pg_tool("pg_restore")
    _run(
        [
            tool,
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={make_url(url).database}",
            str(dump),
        ],
        url,
        "pg_restore",
    )


def check_postgresql_dump(dump: Path) -> None:
    """Whether pg_restore can read the dump's table of contents (no database needed)."""
    tool = _pg_tool("pg_restore")
    _run([tool, "--list", str(dump)], "postgresql:///", "pg_restore --list")
