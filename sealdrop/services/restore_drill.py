"""`sealdrop restore-drill`: restore an archive into a scratch folder and prove it whole.

A backup nobody has restored is a hope. The drill restores exactly as `sealdrop restore` does,
then checks the result as a second, independent pass: every file hashed again from disk, the
database opened and its rows counted, database and store compared, the instance recognised.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sealdrop.config import load_config
from sealdrop.crypto.stream import PIPE_CHUNK
from sealdrop.db.engine import make_engine, make_sessionmaker
from sealdrop.services import backup_format as fmt
from sealdrop.services.backup import COUNTED
from sealdrop.services.consistency import find_problems
from sealdrop.services.restore import DATABASE_FILE, Restored, restore
from sealdrop.storage.store import Store


@dataclass
class DrillReport:
    """The drill's short report; it passed when `problems` is empty."""

    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _sha256(path: Path) -> fmt.FileEntry:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(PIPE_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return fmt.FileEntry(size, digest.hexdigest())


def _check_files(restored: Restored, report: DrillReport) -> None:
    manifest = restored.manifest
    checked = 0
    for name, expected in sorted(manifest.files.items()):
        if name in (fmt.FORMAT_NAME, manifest.database):
            continue  # read at restore; the database is checked by its rows below
        path = restored.target / name
        if not path.is_file():
            report.problems.append(f"{name}: missing after the restore")
        elif _sha256(path) != expected:
            report.problems.append(f"{name}: differs from the manifest after the restore")
        checked += 1
    report.lines.append(f"files: {checked} hashed again from disk against the manifest")


def _count(session: Session, restored: Restored, report: DrillReport) -> None:
    for table, model in COUNTED.items():
        found = int(session.scalar(select(func.count()).select_from(model)) or 0)
        expected = restored.manifest.counts[table]
        mark = "ok" if found == expected else "MISMATCH"
        report.lines.append(f"{table}: {found} (manifest: {expected}) {mark}")
        if found != expected:
            report.problems.append(f"{table}: {found} rows restored, the manifest says {expected}")


def _check_database(restored: Restored, database_url: str | None, report: DrillReport) -> None:
    url = database_url or f"sqlite:///{restored.target / DATABASE_FILE}"
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            _count(session, restored, report)
            problems = find_problems(session, Store(restored.target / "store"))
    finally:
        engine.dispose()
    report.problems += problems
    report.lines.append(
        "database and store agree" if not problems else f"{len(problems)} store problem(s)"
    )


def _check_instance(restored: Restored, database_url: str | None, report: DrillReport) -> None:
    env = {"SEALDROP_DATA_DIR": str(restored.target)}
    if database_url:
        env["SEALDROP_DATABASE_URL"] = database_url
    secrets = load_config(env).require_secrets()
    found = fmt.instance_id(secrets.filesystem_id_salt)
    if found != restored.manifest.instance_id:
        report.problems.append("secrets.toml is not the one of the instance the manifest names")


def drill(
    stream: BinaryIO,
    *,
    scratch: Path,
    verified: Callable[[], None],
    database_url: str | None = None,
) -> DrillReport:
    """Restore into a new folder under `scratch`, check it, remove it; the report says how it went.

    A damaged archive raises ArchiveInvalid from the restore itself, before any check here.
    """
    folder = Path(tempfile.mkdtemp(prefix="sealdrop-drill-", dir=scratch))
    try:
        restored = restore(stream, folder / "data", verified=verified, database_url=database_url)
        return check_restored(restored, database_url=database_url)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def check_restored(restored: Restored, *, database_url: str | None = None) -> DrillReport:
    """The drill's second pass over a restored data directory, against its manifest."""
    manifest = restored.manifest
    report = DrillReport(
        [
            f"archive: instance {manifest.instance_id}, schema {manifest.schema_revision}, "
            f"made on {manifest.day}; every sha256 matched while restoring"
        ]
    )
    if restored.migrated_from:
        report.lines.append(f"database migrated from {restored.migrated_from}")
    _check_files(restored, report)
    _check_database(restored, database_url, report)
    _check_instance(restored, database_url, report)
    return report
