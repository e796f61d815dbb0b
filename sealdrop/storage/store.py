"""The store of ciphertext files: contained paths, atomic placement, secure deletion, modes."""

from __future__ import annotations

import contextlib
import os
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sealdrop.errors import StorePathError
from sealdrop.storage.names import FILESYSTEM_ID_PATTERN, STORED_NAME_PATTERN

STAGING_SUFFIX = ".part"
# Where ciphertext is written before it is placed: one folder for every source, so a source's
# own folder appears only with its first stored file, never for an upload that was cut off.
STAGING_DIR = ".staging"
DIR_MODE = 0o700
FILE_MODE = 0o600
_WIPE_CHUNK = 1 << 20


@dataclass(frozen=True)
class StoredFile:
    filesystem_id: str
    name: str
    path: Path
    mode: int
    size: int


class Store:
    """Everything lives in `root/<source id>/<name>`; nothing outside `root` is ever touched.

    Files are written under `root/.staging/` first, then linked into their source's folder.
    """

    def __init__(self, root: Path) -> None:
        root.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        root.chmod(DIR_MODE)
        self.root = root.resolve()
        self.staging = self.root / STAGING_DIR
        self.staging.mkdir(mode=DIR_MODE, exist_ok=True)
        self.staging.chmod(DIR_MODE)

    def source_dir(self, filesystem_id: str) -> Path:
        if not FILESYSTEM_ID_PATTERN.fullmatch(filesystem_id):
            raise StorePathError("That is not a source identifier.")
        return self.root / filesystem_id

    def path_of(self, filesystem_id: str, name: str) -> Path:
        if not STORED_NAME_PATTERN.fullmatch(name):
            raise StorePathError(f"{name!r} is not a stored file name.")
        path = self.source_dir(filesystem_id) / name
        if path.resolve().parent != self.root / filesystem_id:
            raise StorePathError("That path leaves the store.")
        return path

    def staging_path(self, filesystem_id: str) -> Path:
        """A fresh temporary name in the staging folder, for a file of `filesystem_id` (checked now,
        so a bad id fails before a byte is encrypted); placing it is one link on the same disk."""
        self.source_dir(filesystem_id)
        return self.staging / f".{secrets.token_hex(16)}{STAGING_SUFFIX}"

    def place(self, staged: Path, filesystem_id: str, name: str) -> Path:
        """Atomically move a finished staged file to its final name; refuse to overwrite."""
        target = self.path_of(filesystem_id, name)
        if staged.parent != self.staging or not staged.name.endswith(STAGING_SUFFIX):
            raise StorePathError("Only files of the staging folder can be placed.")
        staged.chmod(FILE_MODE)
        with _open_fd(staged) as fd:
            os.fsync(fd)
        # link() fails if the target exists, so a counter race can never overwrite a submission.
        # A failed first submission of the same source may remove the empty folder meanwhile.
        for attempt in range(2):
            self._make_source_dir(target.parent)
            try:
                os.link(staged, target)
                break
            except FileNotFoundError:
                if attempt or not staged.exists():
                    raise
        staged.unlink()
        # Modification times to the day only, on the file and its folder (ctime stays exact:
        # the kernel sets it, and only hardening the host, not code, hides it).
        _to_the_day(target)
        _to_the_day(target.parent)
        with _open_fd(target.parent) as dir_fd:
            os.fsync(dir_fd)
        return target

    def _make_source_dir(self, directory: Path) -> None:
        try:
            directory.mkdir(mode=DIR_MODE)
        except FileExistsError:
            return  # the source's earlier files, or another request of the same source
        _to_the_day(self.root)

    def remove_if_empty(self, filesystem_id: str) -> None:
        """Remove a source's folder left empty (a first submission undone); keep it otherwise."""
        with contextlib.suppress(FileNotFoundError, OSError):
            self.source_dir(filesystem_id).rmdir()

    def secure_delete(self, path: Path) -> None:
        """Overwrite a file's blocks once, then unlink it; missing files are fine.

        A best effort: journaling file systems and SSDs may keep old blocks. Everything the
        store holds is ciphertext, so this is defence in depth, not the protection itself.
        """
        try:
            size = path.stat().st_size
            with path.open("r+b", buffering=0) as handle:
                zeros = bytes(_WIPE_CHUNK)
                for offset in range(0, size, _WIPE_CHUNK):
                    handle.write(zeros[: min(_WIPE_CHUNK, size - offset)])
                os.fsync(handle.fileno())
            path.unlink()
            _to_the_day(path.parent)
        except FileNotFoundError:
            return

    def delete_source(self, filesystem_id: str) -> None:
        directory = self.source_dir(filesystem_id)
        if not directory.exists():
            return
        for child in directory.iterdir():
            self.secure_delete(child)
        directory.rmdir()

    def remove_stale_staging(self, older_than_seconds: float) -> int:
        """Remove staged files left by a crashed worker; returns how many were removed."""
        cutoff = time.time() - older_than_seconds
        removed = 0
        # The staging folder, and source folders, where versions before it staged their files.
        for path in self.root.glob(f"*/.*{STAGING_SUFFIX}"):
            if path.stat().st_mtime < cutoff:
                self.secure_delete(path)
                removed += 1
        return removed

    def walk(self) -> Iterator[StoredFile]:
        """Every file under the store (staged ones with filesystem_id STAGING_DIR), for checks."""
        for directory in sorted(self.root.iterdir()):
            children = sorted(directory.iterdir()) if directory.is_dir() else [directory]
            for path in children:
                info = path.lstat()
                yield StoredFile(
                    filesystem_id=directory.name if directory.is_dir() else "",
                    name=path.name,
                    path=path,
                    mode=info.st_mode,
                    size=info.st_size,
                )


def _to_the_day(path: Path) -> None:
    """Set atime and mtime to the start of the UTC day: the store keeps dates, not moments."""
    now = time.time()
    day = now - now % 86400
    os.utime(path, (day, day))


@contextlib.contextmanager
def _open_fd(path: Path) -> Iterator[int]:
    fd = os.open(path, os.O_RDONLY)
    try:
        yield fd
    finally:
        os.close(fd)
