"""The tar inside a backup: members written as a stream, each one's size and sha256 noted for
the manifest, with nothing in a member's header that tells who or when beyond the day."""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
from pathlib import Path
from typing import BinaryIO

from sealdrop.services import backup_format as fmt

DAY = 86400


class _Hashing:
    """Reads through to `inner`, hashing what passes."""

    def __init__(self, inner: BinaryIO) -> None:
        self.inner = inner
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.inner.read(size)
        self.digest.update(data)
        return data


class ArchiveWriter:
    """Members into a streaming tar, each one's size and sha256 noted for the manifest."""

    def __init__(self, tar: tarfile.TarFile, day: float) -> None:
        self.tar = tar
        self.day = day
        self.files: dict[str, fmt.FileEntry] = {}
        self._dirs: set[str] = set()

    def _info(self, name: str, mtime: float) -> tarfile.TarInfo:
        info = tarfile.TarInfo(fmt.check_member_name(name))
        info.mtime = int(mtime) - int(mtime) % DAY  # days only, as on the server
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        return info

    def directory(self, name: str, mtime: float | None = None) -> None:
        if name in self._dirs:
            return
        info = self._info(name, self.day if mtime is None else mtime)
        info.type, info.mode = tarfile.DIRTYPE, 0o700
        self.tar.addfile(info)
        self._dirs.add(name)

    def stream(self, name: str, handle: BinaryIO, size: int, mtime: float | None = None) -> None:
        info = self._info(name, self.day if mtime is None else mtime)
        info.size, info.mode = size, 0o600
        hashing = _Hashing(handle)
        self.tar.addfile(info, hashing)
        self.files[name] = fmt.FileEntry(size, hashing.digest.hexdigest())

    def file(self, name: str, path: Path, *, keep_mtime: bool = True) -> None:
        # O_NOATIME: reading the store must not tell when the backup ran.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOATIME", 0))
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            mtime = info.st_mtime if keep_mtime else None
            self.stream(name, handle, info.st_size, mtime)

    def data(self, name: str, data: bytes) -> None:
        self.stream(name, io.BytesIO(data), len(data))
