"""Bundles for the tests: stored ciphertext stand-ins on disk, a written bundle, forged zips."""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
import zipfile
from collections.abc import Iterable
from pathlib import Path

from sealdrop.bundle.format import MANIFEST_NAME, ZIP_DATE_TIME
from sealdrop.bundle.writer import BundleItem, stream_bundle
from sealdrop.domain.items import Kind

DAY = dt.date(2024, 5, 1)
INSTANCE = "Test Newsroom"


def items_on_disk(directory: Path) -> list[BundleItem]:
    """Two sources with messages, a file and a reply each, random bytes standing for ciphertext."""
    items = []
    for designation, sizes in (("amber heron", (700, 0, 2_500_000)), ("quiet otter", (1,))):
        source_uuid = str(uuid.uuid4())
        kinds = [Kind.MESSAGE, Kind.FILE, Kind.REPLY]
        for number, size in enumerate(sizes, start=1):
            kind = kinds[(number - 1) % len(kinds)]
            stored = directory / f"{designation.replace(' ', '-')}-{number}.gpg"
            stored.write_bytes(os.urandom(size))
            items.append(
                BundleItem(designation, source_uuid, str(uuid.uuid4()), kind, number, stored)
            )
    return items


def write_bundle(path: Path, items: list[BundleItem], chunk_bytes: int = 1 << 16) -> Path:
    with path.open("wb") as out:
        for chunk in stream_bundle(items, instance=INSTANCE, created=DAY, chunk_bytes=chunk_bytes):
            out.write(chunk)
    return path


def members_of(bundle: Path) -> tuple[dict[str, bytes], dict[str, object]]:
    """A bundle's entries (manifest apart) and its manifest, to be tampered with."""
    with zipfile.ZipFile(bundle) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    manifest = json.loads(members.pop(MANIFEST_NAME))
    return members, manifest


def forge(
    path: Path,
    members: Iterable[tuple[str, bytes]],
    manifest: object | bytes | None,
    *,
    compression: int = zipfile.ZIP_STORED,
) -> Path:
    """A zip written by zipfile itself, seekable, with whatever entries and manifest it is given."""
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for name, data in members:
            archive.writestr(zipfile.ZipInfo(name, ZIP_DATE_TIME), data, compress_type=compression)
        if manifest is not None:
            raw = manifest if isinstance(manifest, bytes) else json.dumps(manifest).encode()
            archive.writestr(zipfile.ZipInfo(MANIFEST_NAME, ZIP_DATE_TIME), raw)
    return path
