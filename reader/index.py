"""The vault's index: one SQLite file naming each source and item and where its bytes are."""

from __future__ import annotations

import sqlite3
from pathlib import Path

SCHEMA_VERSION = 1
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sources (
    id INTEGER PRIMARY KEY,
    designation TEXT NOT NULL UNIQUE,
    uuid TEXT,
    folder TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    number INTEGER NOT NULL CHECK (number >= 1),
    kind TEXT NOT NULL CHECK (kind IN ('message', 'file', 'reply')),
    stored TEXT NOT NULL,
    original_name TEXT,
    size INTEGER NOT NULL,
    cipher_sha256 TEXT NOT NULL UNIQUE,
    double_encrypted INTEGER NOT NULL DEFAULT 0,
    note TEXT,
    uuid TEXT,
    UNIQUE (source_id, number, kind)
);
"""


def connect(path: Path) -> sqlite3.Connection:
    """Open (and create, 0600) the index; WAL, foreign keys on, rows by name."""
    if not path.exists():
        path.touch(mode=0o600)
    connection = sqlite3.connect(path, isolation_level=None)
    connection.row_factory = sqlite3.Row
    connection.execute("PRAGMA foreign_keys = ON")
    connection.execute("PRAGMA journal_mode = WAL")
    # A crash may lose the last rows, never corrupt the index; a lost row's file is found again
    # by the next import of the same item, which writes it anew under the same name.
    connection.execute("PRAGMA synchronous = NORMAL")
    connection.execute("PRAGMA secure_delete = ON")  # deleted rows are zeroed in the file
    connection.executescript(SCHEMA)
    found = connection.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
    if found is None:
        connection.execute(
            "INSERT INTO meta (key, value) VALUES ('schema', ?)", (str(SCHEMA_VERSION),)
        )
    elif found["value"] != str(SCHEMA_VERSION):
        connection.close()
        raise sqlite3.DatabaseError(f"vault index schema {found['value']} is not known here")
    for extra in ("-wal", "-shm"):
        side = path.with_name(path.name + extra)
        if side.exists():
            side.chmod(0o600)
    return connection


def source_row(db: sqlite3.Connection, designation: str) -> sqlite3.Row | None:
    """The source of that designation, or None."""
    row: sqlite3.Row | None = db.execute(
        "SELECT * FROM sources WHERE designation = ?", (designation,)
    ).fetchone()
    return row
