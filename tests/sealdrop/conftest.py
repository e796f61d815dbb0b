"""Core fixtures: a session on an empty, migrated database of each kind."""

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


@pytest.fixture(scope="session")
def migrated_sqlite() -> Iterator[Path]:
    """An SQLite file migrated to the head revision once per session, for `session` to copy."""
    folder = Path(tempfile.mkdtemp(prefix="sdm-"))
    path = folder / "migrated.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    try:
        migrate.upgrade(engine)
    finally:
        engine.dispose()
    try:
        yield path
    finally:
        shutil.rmtree(folder, ignore_errors=True)


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
