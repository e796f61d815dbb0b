"""Writing a bundle as a stream of byte chunks: no temporary file, memory flat whatever the sizes.

zipfile writes into a spool that the generator empties after every chunk of every item, so at
most one chunk is held at a time. On a sink that cannot seek, zipfile puts each entry's sizes
and CRC in a data descriptor after its data, which is what lets the zip be streamed at all.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from sealdrop.bundle.format import (
    CHUNK_BYTES,
    DAY_PATTERN,
    MANIFEST_NAME,
    UUID_PATTERN,
    ZIP_DATE_TIME,
    BundleEntry,
    BundleSource,
    Manifest,
    entry_path,
    manifest_bytes,
)
from sealdrop.domain.designations import DESIGNATION_PATTERN
from sealdrop.domain.items import Kind

# Regular file, owner read and write only: what unzip gives the files it extracts.
_ENTRY_MODE = 0o100600
_UNIX = 3


@dataclass(frozen=True)
class BundleItem:
    """One stored ciphertext to put in a bundle, as the service layer describes it."""

    source_designation: str
    source_uuid: str
    item_uuid: str
    kind: Kind
    interaction: int
    stored: Path

    @property
    def path(self) -> str:
        """Where the item goes in the bundle."""
        return entry_path(self.source_designation, self.interaction, self.kind)


def stream_bundle(
    items: Sequence[BundleItem],
    *,
    instance: str,
    created: dt.date,
    chunk_bytes: int = CHUNK_BYTES,
) -> Iterator[bytes]:
    """The bundle's bytes, chunk by chunk; the items in the order given, the manifest last.

    The items are checked now, before a byte is produced. A stored file that cannot be read
    later raises OSError from the iterator, leaving a truncated zip that every reader refuses.
    """
    check_items(items)
    # datetime is a date too; a manifest must never hold the time of day.
    if isinstance(created, dt.datetime) or not DAY_PATTERN.fullmatch(created.isoformat()):
        raise ValueError("a bundle's creation date is a day, never a moment")
    if chunk_bytes < 1:
        raise ValueError("chunks hold at least one byte")
    return _stream(tuple(items), instance, created, chunk_bytes)


def check_items(items: Sequence[BundleItem]) -> None:
    """Refuse items that would make a bundle the reader refuses: bad names, duplicates, clashes."""
    designations: dict[str, str] = {}
    for item in items:
        if not DESIGNATION_PATTERN.fullmatch(item.source_designation):
            raise ValueError(f"not a designation: {item.source_designation!r}")
        if not (
            UUID_PATTERN.fullmatch(item.source_uuid) and UUID_PATTERN.fullmatch(item.item_uuid)
        ):
            raise ValueError("uuids are lowercase and hyphenated")
        if item.interaction < 1:
            raise ValueError("interaction counts start at 1")
        if designations.setdefault(item.source_uuid, item.source_designation) != (
            item.source_designation
        ):
            raise ValueError("one source, one designation")
    if len(set(designations.values())) != len(designations):
        raise ValueError("two sources share a designation")
    if len({item.path for item in items}) != len(items):
        raise ValueError("two items would have the same path in the bundle")
    if len({item.item_uuid for item in items}) != len(items):
        raise ValueError("an item is listed twice")


class _Spool:
    """What zipfile has written and the generator has not handed on yet; never more than a chunk.

    It has no tell() or seek(), so zipfile treats it as the unseekable stream it stands for.
    """

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes, /) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        """Nothing to do: the generator takes the bytes."""

    def close(self) -> None:
        """Nothing to do: zipfile never closes a file object it was given."""

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


def _zip_info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=ZIP_DATE_TIME)
    info.compress_type = zipfile.ZIP_STORED
    info.create_system = _UNIX
    info.external_attr = _ENTRY_MODE << 16
    return info


def _stream(
    items: tuple[BundleItem, ...], instance: str, created: dt.date, chunk_bytes: int
) -> Iterator[bytes]:
    spool = _Spool()
    sources: dict[str, BundleSource] = {}
    entries: list[BundleEntry] = []
    with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_STORED) as archive:
        for item in items:
            source = sources.setdefault(
                item.source_uuid, BundleSource(item.source_uuid, item.source_designation)
            )
            digest = hashlib.sha256()
            size = 0
            # ZIP64 for every entry: sizes are not known before the data is read, and one form
            # for all entries is one form to test. Python's zipfile and unzip both read it.
            with (
                item.stored.open("rb") as stored,
                archive.open(_zip_info(item.path), "w", force_zip64=True) as entry,
            ):
                while chunk := stored.read(chunk_bytes):
                    entry.write(chunk)
                    digest.update(chunk)
                    size += len(chunk)
                    yield spool.take()
            if tail := spool.take():
                yield tail
            entries.append(
                BundleEntry(
                    path=item.path,
                    kind=item.kind,
                    interaction=item.interaction,
                    size=size,
                    sha256=digest.hexdigest(),
                    uuid=item.item_uuid,
                    source=source,
                )
            )
        manifest = Manifest(instance, created, tuple(sources.values()), tuple(entries))
        archive.writestr(_zip_info(MANIFEST_NAME), manifest_bytes(manifest))
    yield spool.take()
