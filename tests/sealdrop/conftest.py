"""Core fixtures: a session on an empty, migrated database of each kind; a populated instance."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from sealdrop.db import migrate
from sealdrop.db.engine import make_engine, make_sessionmaker
from tests.harness import InitialisedTemplates, ReaderKeys
from tests.sealdrop.backup_helpers import populated_template


@pytest.fixture(scope="session")
def migrated_sqlite(initialised_templates: InitialisedTemplates) -> Path:
    """An SQLite file migrated to the head revision once per session, for `session` to copy
    (the same file the initialised data directories start from)."""
    return initialised_templates.migrated_sqlite()


@pytest.fixture
def session(request: pytest.FixtureRequest, database_url: str) -> Iterator[Session]:
    """SQLite, then PostgreSQL (via `database_url`), migrated to the head revision.

    SQLite gets a copy of a file Alembic migrated once (a file copy instead of running every
    migration per test); PostgreSQL is migrated in place.
    """
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database:
        shutil.copy2(request.getfixturevalue("migrated_sqlite"), url.database)
        engine = make_engine(database_url)
    else:
        engine = make_engine(database_url)
        migrate.upgrade(engine)
    try:
        with make_sessionmaker(engine)() as opened:
            yield opened
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def backup_template(reader_keys: ReaderKeys) -> Iterator[dict[str, str]]:
    """An instance made by `sealdrop init` and populated once a module (the backup tests of
    the CLI and the services), for each test to copy."""
    base = Path(tempfile.mkdtemp(prefix="sdb-"))  # short: gpg sockets live under it
    try:
        yield populated_template(base, reader_keys)
    finally:
        shutil.rmtree(base, ignore_errors=True)
