"""Handing out a stored ciphertext: where it is, its size and sha256, its bytes in chunks."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from sealdrop.db.models import Reply, Submission
from sealdrop.errors import NotFound
from sealdrop.storage.store import Store

CHUNK = 1 << 20


@dataclass(frozen=True)
class StoredItem:
    """A message, file or reply as it lies in the store, still encrypted."""

    path: Path
    filename: str
    size: int
    sha256: str


def chunks(path: Path, *, start: int = 0, length: int | None = None) -> Iterator[bytes]:
    """The file's bytes from `start`, `length` of them (to the end when None), a MiB at a time."""
    left = length
    with path.open("rb") as handle:
        handle.seek(start)
        while left is None or left > 0:
            block = handle.read(CHUNK if left is None else min(CHUNK, left))
            if not block:
                return
            if left is not None:
                left -= len(block)
            yield block


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    for block in chunks(path):
        digest.update(block)
    return digest.hexdigest()


def stored_item(session: Session, store: Store, item: Submission | Reply) -> StoredItem:
    """The item's file; NotFound when the store no longer holds it (`sealdrop check` says why).

    The sha256 is computed at the first download and kept in the item's row (commits then).
    """
    path = store.path_of(item.source.filesystem_id, item.filename)
    try:
        size = path.stat().st_size
        checksum = item.checksum or sha256_of(path)
    except FileNotFoundError:
        raise NotFound("That file is no longer in the store.") from None
    if item.checksum is None:
        item.checksum = checksum
        session.commit()
    return StoredItem(path=path, filename=item.filename, size=size, sha256=checksum)
