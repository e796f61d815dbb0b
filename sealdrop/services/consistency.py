"""`sealdrop check`: the database and the store must agree, file for file, mode for mode.

It also checks the modes of the data directory, the secrets file and the database files, and
reports each reader key: what only it can open, and whether it expires soon or already has.
"""

from __future__ import annotations

import datetime as dt
import stat
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from sealdrop.config import Config
from sealdrop.crypto.gpg import Gpg
from sealdrop.crypto.scratch import require_ram
from sealdrop.db import migrate
from sealdrop.db.engine import make_engine, make_sessionmaker
from sealdrop.db.models import Reply, Source, Submission
from sealdrop.errors import ConfigError
from sealdrop.services import reader_keys
from sealdrop.storage.store import DIR_MODE, FILE_MODE, STAGING_DIR, Store, StoredFile


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def _stored_file_problem(
    item: StoredFile, *, sources: set[str], expected: dict[Path, str]
) -> str | None:
    """What is wrong with one entry of the store, if anything."""
    if item.path.is_dir() or not item.filesystem_id:
        return f"stray entry in the store root: {item.name}"
    if item.filesystem_id == STAGING_DIR:
        return (
            f"staged file: {STAGING_DIR}/{item.name} is being written or was left "
            "by a crash (removed at start-up after a day)"
        )
    if item.filesystem_id not in sources:
        return f"stray file: {item.filesystem_id}/{item.name} belongs to no source"
    if item.path not in expected:
        return f"stray file: {item.filesystem_id}/{item.name} is on disk only"
    if stat.S_IMODE(item.mode) != FILE_MODE:
        mode = oct(stat.S_IMODE(item.mode))
        return f"{item.filesystem_id}/{item.name}: mode {mode}, expected 0o600"
    return None


def find_problems(session: Session, store: Store) -> list[str]:
    """Every disagreement, one line each; an empty list means database and store agree."""
    problems: list[str] = []
    if _mode(store.root) != DIR_MODE:
        problems.append(f"{store.root}: mode {oct(_mode(store.root))}, expected 0o700")
    expected: dict[Path, str] = {}
    rows = [
        *session.execute(select(Source.filesystem_id, Submission.filename).join(Submission.source)),
        *session.execute(select(Source.filesystem_id, Reply.filename).join(Reply.source)),
    ]
    for filesystem_id, filename in rows:
        expected[store.root / filesystem_id / filename] = filename
    sources = set(session.scalars(select(Source.filesystem_id)))
    for path, filename in expected.items():
        if not path.is_file():
            problems.append(f"missing file: {path.parent.name}/{filename} is in the database only")
    for item in store.walk():
        problem = _stored_file_problem(item, sources=sources, expected=expected)
        if problem:
            problems.append(problem)
    for directory in sorted(p for p in store.root.iterdir() if p.is_dir()):
        if _mode(directory) != DIR_MODE:
            problems.append(f"{directory.name}/: mode {oct(_mode(directory))}, expected 0o700")
        unknown = directory.name not in sources and directory.name != STAGING_DIR
        if unknown and not any(directory.iterdir()):
            problems.append(f"empty folder: {directory.name}/ belongs to no source")
    return problems


def private_mode_problems(config: Config) -> list[str]:
    """The data directory 0700; the secrets file and SQLite files (journal too) 0600."""
    expected = [(config.data_dir, DIR_MODE), (config.secrets_path, FILE_MODE)]
    database = config.database_path
    if database is not None:
        expected += [
            (database.with_name(database.name + suffix), FILE_MODE)
            for suffix in ("", "-journal", "-wal", "-shm")
        ]
    problems = []
    for path, mode in expected:
        if path.exists() and _mode(path) != mode:
            problems.append(f"{path}: mode {oct(_mode(path))}, expected {oct(mode)}")
    return problems


@dataclass(frozen=True)
class Report:
    """What `sealdrop check` prints: a line per reader key, then every problem found."""

    keys: list[str]
    problems: list[str]


def key_report(session: Session, gpg: Gpg, *, today: dt.date) -> Report:
    """Each reader key and what it opens; as problems, the keys to act on (see warnings())."""
    statuses = reader_keys.statuses(session, gpg)
    return Report(
        keys=[f"reader key {reader_keys.describe(status)}" for status in statuses],
        problems=reader_keys.warnings(statuses, today=today),
    )


def check(config: Config) -> Report:
    """find_problems() and key_report() on an initialised data directory.

    `sealdrop check` runs beside a live server: gpg only reads the public reader keys here, in
    a throwaway home of its own with no agent, and leaves the server's gpg alone.
    """
    config.require_secrets()
    engine = make_engine(config.database_url)
    try:
        if migrate.current_revision(engine) != migrate.HEAD_REVISION:
            raise ConfigError("The database schema is not current: run `sealdrop init`.")
        gpg = Gpg(require_ram(config.gpg_scratch_dir))
        with make_sessionmaker(engine)() as session:
            keys = key_report(session, gpg, today=dt.datetime.now(dt.UTC).date())
            problems = private_mode_problems(config) + find_problems(
                session, Store(config.store_dir)
            )
            return Report(keys.keys, problems + keys.problems)
    finally:
        engine.dispose()
