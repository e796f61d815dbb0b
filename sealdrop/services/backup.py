"""`sealdrop backup`: one archive of an instance, streamed through gpg to the admin's public key.

Nothing of it is ever a plaintext file on disk: the database snapshot is made in the RAM scratch
directory, and the tar goes straight into gpg, which writes the only file, the ciphertext. The
store is copied as the snapshot knows it, so the archive is one consistent moment even while
sources submit and journalists reply.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import tarfile
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, cast

from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.exc import SQLAlchemyError

from sealdrop.config import Config
from sealdrop.crypto.gpg import Gpg
from sealdrop.crypto.scratch import require_ram
from sealdrop.crypto.stream import PIPE_CHUNK
from sealdrop.db import migrate, snapshot
from sealdrop.db.engine import make_engine
from sealdrop.db.models import Journalist, Reply, Source, Submission
from sealdrop.domain.keys import PublicKey
from sealdrop.errors import BackupFailed, KeyImportError
from sealdrop.services import backup_format as fmt
from sealdrop.services.backup_archive import ArchiveWriter

ATTEMPTS = 3
# tarfile's stream buffer grows by concatenation: a large one is copied over and over (1 MiB
# made the backup CPU-bound); reads and writes of 64 KiB keep the copying small.
TAR_CHUNK = 64 * 1024
COUNTED = {
    "sources": Source,
    "submissions": Submission,
    "replies": Reply,
    "journalists": Journalist,
}


@dataclass(frozen=True)
class BackupResult:
    path: Path
    sha256: str
    manifest: fmt.Manifest


@dataclass(frozen=True)
class DatabaseImage:
    """The database at one moment: its file in RAM, and what that moment holds."""

    member: str
    path: Path
    revision: str
    counts: dict[str, int]
    stored: list[tuple[str, str]]  # (source's filesystem id, file name) of every item


class _DeletedMeanwhile(Exception):
    """An item of the snapshot was deleted while its file was copied: start again."""


def check_recipient(gpg: Gpg, armored: str) -> PublicKey:
    """The admin's key, if it is a valid, strong public key; one line saying why not."""
    try:
        return gpg.inspect_public_key(armored)
    except KeyImportError as exc:
        raise BackupFailed(f"--recipient-key refused: {exc}") from None


def archive_name(now: dt.datetime) -> str:
    return f"sealdrop-backup-{now.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}.tar.gpg"


def _read_image(connection: Connection) -> tuple[str, dict[str, int], list[tuple[str, str]]]:
    revision = migrate.revision_of(connection)
    if revision != migrate.HEAD_REVISION:
        raise BackupFailed("the database schema is not current: run `sealdrop init` first")
    counts = {
        name: int(connection.scalar(select(func.count()).select_from(model)) or 0)
        for name, model in COUNTED.items()
    }
    stored = [
        (str(fsid), str(name))
        for model in (Submission, Reply)
        for fsid, name in connection.execute(
            select(Source.filesystem_id, model.filename).join(Source, model.source_id == Source.id)
        )
    ]
    return revision, counts, stored


def snapshot_database(config: Config, engine: Engine, scratch: Path) -> DatabaseImage:
    """A consistent copy of the live database in `scratch`, and what it holds."""
    if snapshot.is_postgresql(config.database_url):
        path = scratch / "sealdrop.pgdump"
        revision, counts, stored = snapshot.dump_postgresql(engine, path, inspect=_read_image)
        return DatabaseImage(fmt.PGDUMP_NAME, path, revision, counts, stored)
    live = config.database_path
    if live is None:
        raise BackupFailed("only an SQLite file or PostgreSQL can be backed up")
    path = scratch / "sealdrop.sqlite"
    snapshot.snapshot_sqlite(live, path)
    copy = make_engine(f"sqlite:///{path}")
    try:
        with copy.connect() as connection:
            revision, counts, stored = _read_image(connection)
    finally:
        copy.dispose()
    return DatabaseImage(fmt.SQLITE_NAME, path, revision, counts, stored)


def _regular_files(root: Path) -> Iterator[Path]:
    """Directories and regular files under `root`, parents first, in a stable order."""
    for path in sorted(root.rglob("*")):
        if not path.is_symlink() and (path.is_dir() or path.is_file()):
            yield path


def _live_names(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return {
            str(name)
            for model in (Submission, Reply)
            for name in connection.scalars(select(model.filename))
        }


def _copy_store(
    writer: ArchiveWriter, store: Path, stored: Iterable[tuple[str, str]], engine: Engine
) -> None:
    writer.directory("store", store.stat().st_mtime)
    missing = []
    for fsid, name in sorted(stored):
        writer.directory(f"store/{fsid}", (store / fsid).stat().st_mtime)
        try:
            writer.file(f"store/{fsid}/{name}", store / fsid / name)
        except FileNotFoundError:
            missing.append(name)
    # A deletion commits, then overwrites the file: a row gone now may have been copied zeroed.
    live = _live_names(engine)
    if any(name not in live for _, name in stored):
        raise _DeletedMeanwhile
    if missing:
        raise BackupFailed(
            f"{missing[0]} is in the database but not in the store: run `sealdrop check`"
        )


def _write_archive(
    writer: ArchiveWriter, config: Config, image: DatabaseImage, engine: Engine
) -> dict[str, int]:
    writer.data(fmt.FORMAT_NAME, fmt.FORMAT_LINE)
    writer.file(fmt.SECRETS_NAME, config.secrets_path)
    onion = config.data_dir / "onion"
    if onion.is_dir():
        writer.directory("onion", onion.stat().st_mtime)
        for path in _regular_files(onion):
            name = "onion/" + path.relative_to(onion).as_posix()
            if path.is_dir():
                writer.directory(name, path.stat().st_mtime)
            else:
                writer.file(name, path)
    _copy_store(writer, config.store_dir, image.stored, engine)
    writer.directory("database")
    writer.file(image.member, image.path, keep_mtime=False)
    return image.counts


def _attempt(
    config: Config, gpg: Gpg, engine: Engine, *, recipient: PublicKey, part: Path, now: dt.datetime
) -> fmt.Manifest:
    secrets = config.require_secrets()
    scratch = Path(tempfile.mkdtemp(prefix="sealdrop-backup-", dir=config.gpg_scratch_dir))
    try:
        image = snapshot_database(config, engine, scratch)
        encryptor = gpg.open_encryptor([recipient], part)
        try:
            with tarfile.open(
                fileobj=cast(BinaryIO, encryptor),  # stream mode only calls write()
                mode="w|",
                format=tarfile.GNU_FORMAT,
                bufsize=TAR_CHUNK,
            ) as tar:
                # CPython has had it since 3.8; typeshed does not declare it.
                tar.copybufsize = TAR_CHUNK  # type: ignore[attr-defined]
                writer = ArchiveWriter(tar, now.timestamp())
                counts = _write_archive(writer, config, image, engine)
                manifest = fmt.Manifest(
                    instance_id=fmt.instance_id(secrets.filesystem_id_salt),
                    schema_revision=image.revision,
                    database=image.member,
                    counts=counts,
                    files=dict(writer.files),
                    day=now.astimezone(dt.UTC).date().isoformat(),
                )
                writer.data(fmt.MANIFEST_NAME, manifest.to_json())
        except BaseException:
            encryptor.abort()
            raise
        encryptor.finish()
        return manifest
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(PIPE_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def create_backup(
    config: Config, gpg: Gpg, *, recipient: PublicKey, output_dir: Path, now: dt.datetime
) -> BackupResult:
    """Write `sealdrop-backup-<UTC time>.tar.gpg` into `output_dir`; nothing is left on failure.

    A deletion by the newsroom while the store is copied makes it start again (up to three
    times): the archive never holds a file overwritten under it.
    """
    if not output_dir.is_dir():
        raise BackupFailed(f"--output {output_dir} is not a directory")
    require_ram(config.gpg_scratch_dir)
    config.require_secrets()
    live = config.database_path
    if live is not None and not live.is_file():  # opening it would make an empty one
        raise BackupFailed(f"the database {live} does not exist: run `sealdrop init` first")
    final = output_dir / archive_name(now)
    part = output_dir / f".{final.name}.part"
    engine = make_engine(config.database_url)
    try:
        for _ in range(ATTEMPTS):
            try:
                manifest = _attempt(config, gpg, engine, recipient=recipient, part=part, now=now)
                break
            except _DeletedMeanwhile:
                part.unlink(missing_ok=True)
            except BaseException:
                part.unlink(missing_ok=True)
                raise
        else:
            raise BackupFailed("items kept being deleted while the backup ran: run it again")
    except (SQLAlchemyError, OSError) as exc:
        raise BackupFailed(f"the backup failed: {exc.__class__.__name__}: {exc}") from None
    finally:
        engine.dispose()
    _fsync(part)  # on the disk before it is named as a whole archive
    try:
        os.link(part, final)  # never replaces an archive already there
    except FileExistsError:
        part.unlink()
        raise BackupFailed(f"{final} already exists") from None
    part.unlink()
    _fsync(output_dir)
    return BackupResult(final, _sha256_of(final), manifest)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
