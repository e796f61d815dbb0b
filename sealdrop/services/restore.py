"""`sealdrop restore`: an archive back into a data directory, every byte checked first.

Everything is unpacked into a private folder beside the target and checked against the manifest
(and, for an encrypted archive, gpg has vouched for its integrity) before anything is replaced.
Only then does the folder become the data directory, in one rename.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import shutil
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO, cast

from sealdrop.crypto.homes import open_decryption
from sealdrop.crypto.stream import PIPE_CHUNK
from sealdrop.db import migrate, snapshot
from sealdrop.db.engine import make_engine
from sealdrop.errors import ArchiveInvalid, RestoreRefused
from sealdrop.services import backup_format as fmt

MAX_MANIFEST_BYTES = 256 << 20
DIR_MODE = 0o700
FILE_MODE = 0o600
DATABASE_FILE = "sealdrop.sqlite"  # where `sealdrop init` puts SQLite by default
DAY = 86400


@dataclass(frozen=True)
class Restored:
    target: Path
    manifest: fmt.Manifest
    migrated_from: str | None  # the archive's schema revision, when it was older than HEAD
    previous: Path | None  # where the data directory it replaced (--force) was kept


@contextlib.contextmanager
def archive_stream(
    *, archive: Path | None, gnupghome: Path | None, tar: BinaryIO | None
) -> Iterator[tuple[BinaryIO, Callable[[], None]]]:
    """The tar to read, and what to call once it is read: gpg's verdict, for an archive."""
    if tar is not None:
        yield tar, lambda: None
        return
    if archive is None or gnupghome is None:
        raise RestoreRefused(
            "name an ARCHIVE and --gnupghome DIR holding the admin's private key, "
            "or decrypt elsewhere and give the tar: --from-tar FILE or -"
        )
    try:
        handle = archive.open("rb")
    except OSError as exc:
        raise RestoreRefused(f"cannot read {archive}: {exc.strerror}") from None
    with handle:
        decryptor = open_decryption(gnupghome, handle)
        try:
            # tarfile's stream mode only calls read().
            yield cast(BinaryIO, decryptor), decryptor.finish
        finally:
            decryptor.close()


def _copy_member(source: IO[bytes], path: Path) -> fmt.FileEntry:
    digest = hashlib.sha256()
    written = 0
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with os.fdopen(fd, "wb") as out:
        while chunk := source.read(PIPE_CHUNK):
            digest.update(chunk)
            out.write(chunk)
            written += len(chunk)
        out.flush()
        os.fsync(out.fileno())
    return fmt.FileEntry(written, digest.hexdigest())


@dataclass
class _Unpacked:
    files: dict[str, fmt.FileEntry]
    mtimes: dict[str, int]
    manifest: bytes | None = None


def _unpack_member(
    tar: tarfile.TarFile, member: tarfile.TarInfo, into: Path, out: _Unpacked
) -> None:
    name = fmt.check_member_name(member.name)
    if name in out.files or name in out.mtimes or out.manifest is not None:
        raise ArchiveInvalid(f"the archive holds {name} twice, or after its manifest")
    path = into / name
    out.mtimes[name] = int(member.mtime) - int(member.mtime) % DAY
    if member.isdir():
        path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        return
    if not member.isreg():
        raise ArchiveInvalid(f"{name} in the archive is not a regular file")
    source = tar.extractfile(member)
    if source is None:
        raise ArchiveInvalid(f"{name} in the archive cannot be read")
    if name == fmt.MANIFEST_NAME:
        if member.size > MAX_MANIFEST_BYTES:
            raise ArchiveInvalid("the manifest is too large to be one a backup writes")
        out.manifest = source.read()
        return
    path.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    out.files[name] = _copy_member(source, path)
    if name == fmt.FORMAT_NAME and path.read_bytes() != fmt.FORMAT_LINE:
        raise ArchiveInvalid("this is not a Sealdrop backup of a format this version reads")


def unpack(stream: BinaryIO, into: Path) -> tuple[fmt.Manifest, dict[str, int]]:
    """Every member into `into`, checked against the manifest; the manifest and member mtimes."""
    out = _Unpacked({}, {})
    try:
        with tarfile.open(fileobj=stream, mode="r|") as tar:
            for number, member in enumerate(tar):
                if number == 0 and member.name != fmt.FORMAT_NAME:
                    raise ArchiveInvalid("this is not a Sealdrop backup (no FORMAT first)")
                _unpack_member(tar, member, into, out)
    except (tarfile.TarError, EOFError, UnicodeError):
        raise ArchiveInvalid("the archive is truncated or damaged") from None
    if out.manifest is None:
        raise ArchiveInvalid("the archive ends before its manifest: it is truncated")
    manifest = fmt.Manifest.from_json(out.manifest)
    problems = verify_files(manifest, out.files)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ArchiveInvalid(f"{problems[0]}{more}; nothing was replaced")
    return manifest, out.mtimes


def verify_files(manifest: fmt.Manifest, found: dict[str, fmt.FileEntry]) -> list[str]:
    """One line per file that is missing, extra, or differs from the manifest."""
    problems = [
        f"{name}: in the manifest, not in the archive"
        for name in manifest.files.keys() - found.keys()
    ]
    problems += [
        f"{name}: in the archive, not in the manifest"
        for name in found.keys() - manifest.files.keys()
    ]
    for name in sorted(found.keys() & manifest.files.keys()):
        if found[name] != manifest.files[name]:
            problems.append(f"{name}: its sha256 or size differs from the manifest")
    return sorted(problems)


def _require_replaceable(target: Path, *, force: bool) -> None:
    if target.exists() and not target.is_dir():
        raise RestoreRefused(f"{target} exists and is not a directory")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise RestoreRefused(f"{target} is not empty: add --force to replace it (it is kept aside)")


def _load_database(staging: Path, manifest: fmt.Manifest, database_url: str | None) -> str | None:
    """Put the database in place and migrate it; the archive's revision if it was migrated."""
    dumped = staging / manifest.database
    if manifest.database == fmt.PGDUMP_NAME:
        if database_url is None or not snapshot.is_postgresql(database_url):
            raise RestoreRefused(
                "the archive holds a PostgreSQL dump: give --database-url of an empty database"
            )
        url = database_url
        snapshot.restore_postgresql(url, dumped)
        dumped.unlink()
    else:
        dumped.rename(staging / DATABASE_FILE)
        url = f"sqlite:///{staging / DATABASE_FILE}"
    (staging / "database").rmdir()
    engine = make_engine(url)
    try:
        revision = manifest.schema_revision
        if not migrate.is_known(engine, revision):
            raise RestoreRefused(f"the archive's schema {revision} is newer than this Sealdrop's")
        if migrate.current_revision(engine) != revision:
            raise ArchiveInvalid("the database's schema revision differs from the manifest's")
        if revision == migrate.HEAD_REVISION:
            return None
        migrate.upgrade(engine)
        return revision
    finally:
        engine.dispose()


def _settle(staging: Path, mtimes: dict[str, int]) -> None:
    """Modes 0700/0600 throughout; each member's day as its time, folders after their files."""
    day = int(dt.datetime.now(dt.UTC).timestamp()) // DAY * DAY
    paths = sorted(staging.rglob("*"), key=lambda p: len(p.parts), reverse=True)
    for path in [*paths, staging]:
        if path.is_symlink():
            raise ArchiveInvalid(f"{path.name}: a link appeared in the restored data")
        path.chmod(DIR_MODE if path.is_dir() else FILE_MODE)
        moment = mtimes.get(path.relative_to(staging).as_posix(), day)
        os.utime(path, (moment, moment))


def _replace(staging: Path, target: Path) -> Path | None:
    """`staging` becomes `target`; a non-empty target is kept aside, and put back on failure."""
    previous = None
    if target.is_dir():
        if any(target.iterdir()):
            stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
            previous = target.with_name(f"{target.name}.replaced-{stamp}")
            target.rename(previous)
        else:
            target.rmdir()
    try:
        staging.rename(target)
    except OSError:
        if previous is not None:
            previous.rename(target)
        raise
    return previous


def _verify(verified: Callable[[], None]) -> None:
    try:
        verified()
    except ArchiveInvalid as exc:
        raise ArchiveInvalid(f"{exc} Nothing was replaced.") from None


def restore(
    stream: BinaryIO,
    target: Path,
    *,
    verified: Callable[[], None],
    force: bool = False,
    database_url: str | None = None,
) -> Restored:
    """Unpack, verify (`verified` raises unless gpg vouched for the stream), migrate, replace."""
    target = target.absolute()
    _require_replaceable(target, force=force)
    target.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.restoring-", dir=target.parent))
    try:
        try:
            manifest, mtimes = unpack(stream, staging)
        except ArchiveInvalid:
            _verify(verified)  # gpg's own verdict, when it has one, says more
            raise
        _verify(verified)
        (staging / fmt.FORMAT_NAME).unlink()  # it told what the archive is; the data needs none
        migrated_from = _load_database(staging, manifest, database_url)
        _settle(staging, mtimes)
        previous = _replace(staging, target)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise RestoreRefused(f"the restore failed, nothing was replaced: {exc}") from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return Restored(target, manifest, migrated_from, previous)
