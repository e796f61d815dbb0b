"""Core fixtures: a session on an empty, migrated database of each kind."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from sealdrop.db import migrate
from sealdrop.db.engine import make_engine, make_sessionmaker


@pytest.fixture
def session(database_url: str) -> Iterator[Session]:
    """SQLite, then PostgreSQL (via `database_url`), migrated to the head revision."""
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    try:
        with make_sessionmaker(engine)() as opened:
            yield opened
    finally:
        engine.dispose()
