"""Deleting vault files: overwrite, flush, then unlink. Best effort, and the docs say why.

On an SSD, the drive's firmware writes the new bytes elsewhere and the old blocks live on until
it erases them; journaling and copy-on-write file systems and snapshots may keep old copies too.
Overwriting still removes the plaintext from the file's current blocks on simple disks and from
the page cache; full-disk encryption of the reader machine is what protects the rest.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

_PASS_CHUNK = 1 << 20


def shred_file(path: Path) -> None:
    """Overwrite `path` once with zeros, fsync and unlink it; a missing file is fine."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return
    except OSError:  # a link or something odd in our own vault: remove the name at least
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        return
    try:
        size = os.fstat(fd).st_size
        zeros = bytes(min(_PASS_CHUNK, size))
        written = 0
        while written < size:
            written += os.write(fd, zeros[: min(len(zeros), size - written)])
        os.fsync(fd)
    finally:
        os.close(fd)
    path.unlink()


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
