"""Engines and sessions for SQLite (the default) and PostgreSQL (by URL)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.engine.interfaces import CompiledCacheType
from sqlalchemy.orm import Session, sessionmaker

DB_FILE_MODE = 0o600
# A writer waits this long for another process's write to finish before giving up.
BUSY_TIMEOUT_MS = 15000
# Compiled SQL statements an SQLite engine keeps (SQLAlchemy's default is 500).
SQLITE_STATEMENT_CACHE = 1000


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # Rollback journal, not WAL: a WAL file keeps old pages (deleted rows included) until a
    # checkpoint, and secure_delete does not reach them. With DELETE the journal is removed at
    # each commit and secure_delete zeroes freed pages in the database itself. Writers of the two
    # processes then take turns (busy_timeout), which the short write transactions allow.
    cursor.execute("PRAGMA journal_mode=DELETE")
    cursor.execute("PRAGMA secure_delete=ON")
    # Sorts and temporary tables stay in memory, never in a temp file beside the database.
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()


def _create_private(path: Path) -> None:
    """Make the database file 0600 before SQLite does: it would use 0644 (its journals copy it)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, DB_FILE_MODE))
    except FileExistsError:
        return


@dataclass
class _SharedCompilation:
    """The dialect and compiled-statement cache every SQLite engine of this process uses.

    SQLAlchemy caches each statement's compiled SQL per engine, under a key that holds the
    engine's dialect object. A server process opens one engine, so this changes nothing there;
    the tests open hundreds (one database file each), and each would otherwise compile every
    query again. All our SQLite engines are made by `make_engine` with the same arguments, so
    their dialects are interchangeable: the first one, once a connection has initialised it
    (the SQLite library's version), serves the later engines with its cache. Each engine keeps
    its own pool, database file and connection pragmas.
    """

    dialect: Dialect | None = None
    cache: CompiledCacheType | None = None

    def adopt(self, engine: Engine) -> None:
        if self.dialect is None or self.dialect.server_version_info is None:
            # Nothing initialised to share yet: this engine's dialect may become the shared one.
            self.dialect, self.cache = engine.dialect, engine._compiled_cache
            return
        engine.dialect = self.dialect
        engine._compiled_cache = self.cache


_SQLITE_COMPILATION = _SharedCompilation()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        database = make_url(url).database
        if database and database != ":memory:":
            _create_private(Path(database))
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False},
            query_cache_size=SQLITE_STATEMENT_CACHE,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        _SQLITE_COMPILATION.adopt(engine)
        return engine
    return create_engine(url, pool_pre_ping=True)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
