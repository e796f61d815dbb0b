"""`sealdrop check`: the database and the store must agree, file for file, mode for mode."""

from __future__ import annotations

import stat
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from sealdrop.db.models import Reply, Source, Submission
from sealdrop.storage.store import DIR_MODE, FILE_MODE, Store


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


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
    for source_id, filename in rows:
        expected[store.root / source_id / filename] = filename
    sources = set(session.scalars(select(Source.filesystem_id)))
    for path, filename in expected.items():
        if not path.is_file():
            problems.append(f"missing file: {path.parent.name}/{filename} is in the database only")
    for item in store.walk():
        if item.path.is_dir() or not item.source_id:
            problems.append(f"stray entry in the store root: {item.name}")
            continue
        if item.source_id not in sources:
            problems.append(f"stray file: {item.source_id}/{item.name} belongs to no source")
        elif item.path not in expected:
            problems.append(f"stray file: {item.source_id}/{item.name} is on disk only")
        elif stat.S_IMODE(item.mode) != FILE_MODE:
            problems.append(
                f"{item.source_id}/{item.name}: mode {oct(stat.S_IMODE(item.mode))}, expected 0o600"
            )
    for directory in sorted(p for p in store.root.iterdir() if p.is_dir()):
        if _mode(directory) != DIR_MODE:
            problems.append(f"{directory.name}/: mode {oct(_mode(directory))}, expected 0o700")
    return problems
