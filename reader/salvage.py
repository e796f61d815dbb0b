"""A bundle or zip cut short: its whole entries, checked as strictly as a whole zip's, listed.

The walk from the first byte (reader.zip_walk) finds the entries that are whole. Then:

- when a bundle's manifest is among them (the cut was in the zip directory), it is checked as
  for a whole bundle, every entry must be one it lists, stored, at its size, and its bytes are
  checked against its sha256 as they are read;
- otherwise (the cut was earlier, the manifest with it, or it is a plain zip) each entry is
  checked as a plain zip's is (path, name, zip encryption, inflation bounds) and by its own CRC.

Each entry the walk could not recover, or that is refused, gets its one line; the carrier says,
in one more line, that the file was cut short (the import's status is then "partial").
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import PurePosixPath
from typing import BinaryIO

from reader.carried import Carried, Carrier, Chunks, Refused, name_refusal
from reader.names import shown_path
from reader.zip_rules import (
    BOMB,
    LIMITS,
    OVER_BUDGET,
    ZipBudget,
    inflate_ceiling,
    zip_entry_refusal,
)
from reader.zip_walk import DEFLATED, STORED, Found, walk
from sealdrop.bundle.format import (
    CHUNK_BYTES,
    MANIFEST_MAX_BYTES,
    MANIFEST_NAME,
    BundleEntry,
    Manifest,
    parse_manifest,
)
from sealdrop.errors import BundleInvalid, ReaderRefused

Opener = Callable[[], contextlib.AbstractContextManager[Chunks]]


def salvage(handle: BinaryIO) -> Carrier:
    """The whole entries of the cut-short zip open in `handle`."""
    walked = walk(handle, LIMITS)
    found = {f.name: f for f in reversed(walked.found)}  # the first of a repeated name wins
    budget = ZipBudget()
    manifest = _manifest(handle, found.get(MANIFEST_NAME), budget)
    if manifest is not None:
        carrier = _bundle(handle, walked.found, manifest, budget)
        carrier.partial = (
            "it is cut short (its zip directory is missing); its whole entries were checked "
            "against its manifest"
        )
    else:
        carrier = _zip(handle, walked.found, budget)
        was_bundle = any(lost.label == MANIFEST_NAME for lost in walked.lost)
        carrier.partial = (
            "it is cut short, its manifest with it; its whole entries were checked by their "
            "own CRC only"
            if was_bundle
            else "it is cut short (its zip directory is missing, and no bundle manifest "
            "survived); its whole entries were checked by their own CRC only"
        )
    carrier.refused.extend(Refused(lost.label, lost.reason) for lost in walked.lost)
    return carrier


def _manifest(handle: BinaryIO, found: Found | None, budget: ZipBudget) -> Manifest | None:
    if found is None:
        return None
    if found.size > MANIFEST_MAX_BYTES:
        raise BundleInvalid("The bundle's manifest is too large; this is not a Sealdrop bundle.")
    raw = bytearray()
    try:
        for chunk in _chunks(handle, found, budget, None):
            raw += chunk
            if len(raw) > MANIFEST_MAX_BYTES:
                break
    except ReaderRefused:
        raise BundleInvalid("The bundle's manifest is damaged.") from None
    return parse_manifest(bytes(raw))


def _bundle(handle: BinaryIO, found: list[Found], manifest: Manifest, budget: ZipBudget) -> Carrier:
    carrier = Carrier("bundle")
    listed = {entry.path: entry for entry in manifest.entries}
    taken: set[str] = set()
    for entry in found:
        label = shown_path(entry.name)
        reason = zip_entry_refusal(_info(entry))
        if reason is None and entry.name in taken:
            reason = "it appears twice in the bundle; only the first is read"
        elif reason is None and entry.name != MANIFEST_NAME and entry.name not in listed:
            reason = "the bundle's manifest does not list it; refused"
        elif reason is None and entry.method != STORED:
            reason = "compressed in the bundle, where no entry is; refused"
        taken.add(entry.name)
        if reason is not None:
            carrier.refused.append(Refused(label, reason))
    by_name = {entry.name: entry for entry in reversed(found)}
    for listed_entry in manifest.entries:
        whole = by_name.get(listed_entry.path)
        if whole is None:
            carrier.refused.append(
                Refused(shown_path(listed_entry.path), "cut off: not whole in this copy")
            )
        elif whole.method == STORED and zip_entry_refusal(_info(whole)) is None:
            carrier.items.append(
                Carried(
                    label=shown_path(listed_entry.path),
                    designation=listed_entry.source.designation,
                    number=listed_entry.interaction,
                    kind=listed_entry.kind,
                    open=_opener(handle, whole, budget, listed_entry),
                    sha256=listed_entry.sha256,
                    source_uuid=listed_entry.source.uuid,
                    item_uuid=listed_entry.uuid,
                )
            )
    return carrier


def _zip(handle: BinaryIO, found: list[Found], budget: ZipBudget) -> Carrier:
    carrier = Carrier("zip")
    taken: set[str] = set()
    for entry in found:
        label = shown_path(entry.name)
        info = _info(entry)
        if info.is_dir():
            continue
        reason = zip_entry_refusal(info)
        if reason is None and entry.name in taken:
            reason = "it appears twice in the zip; only the first is read"
        taken.add(entry.name)
        if reason is None and entry.method not in {STORED, DEFLATED}:
            reason = "compressed in a way the reader does not read"
        if reason is not None:
            carrier.refused.append(Refused(label, reason))
            continue
        named = name_refusal(PurePosixPath(info.filename).parts, label)
        if isinstance(named, Refused):
            carrier.refused.append(named)
            continue
        designation, parsed = named
        opener = _opener(handle, entry, budget, None)
        carrier.items.append(Carried(label, designation, parsed.number, parsed.kind, opener))
    return carrier


def _info(entry: Found) -> zipfile.ZipInfo:
    """The entry as zipfile would describe it (its name cut at a NUL, as zipfile cuts it). A
    local header has no file mode, so a link cannot be told here; its bytes are read, never
    followed, and a link's target is not an OpenPGP message."""
    info = zipfile.ZipInfo(entry.name)
    info.flag_bits = entry.flags
    info.compress_type = entry.method
    return info


def _opener(
    handle: BinaryIO, entry: Found, budget: ZipBudget, listed: BundleEntry | None
) -> Opener:
    @contextlib.contextmanager
    def opened() -> Iterator[Chunks]:
        yield _chunks(handle, entry, budget, listed)

    return opened


def _chunks(
    handle: BinaryIO, entry: Found, budget: ZipBudget, listed: BundleEntry | None
) -> Chunks:
    """The entry's bytes, inflated if need be, bounded as a whole zip's are; at the end, its
    CRC, and for a bundle entry its size and sha256, must be what they should."""
    ceiling = inflate_ceiling(entry.data_end - entry.data_start)
    inflater = zlib.decompressobj(-zlib.MAX_WBITS) if entry.method == DEFLATED else None
    crc, size, at = 0, 0, entry.data_start
    held = b""
    digest = hashlib.sha256()
    while at < entry.data_end:
        raw = os.pread(handle.fileno(), min(CHUNK_BYTES, entry.data_end - at), at)
        if not raw:
            raise ReaderRefused("the zip entry is damaged (it was cut short while read)")
        at += len(raw)
        for piece in _inflated(inflater, raw):
            size += len(piece)
            budget.left -= len(piece)
            if size > ceiling:
                raise ReaderRefused(BOMB)
            if budget.left < 0:
                raise ReaderRefused(OVER_BUDGET)
            if listed is not None and size > listed.size:
                raise BundleInvalid(
                    f"{listed.path} is not the file the bundle's manifest describes."
                )
            crc = zlib.crc32(piece, crc)
            if listed is not None:
                digest.update(piece)
            if held:
                yield held
            held = piece
    if (inflater is not None and not inflater.eof) or crc != entry.crc:
        raise ReaderRefused("the zip entry is damaged (its CRC does not match its bytes)")
    if listed is not None and (size != listed.size or digest.hexdigest() != listed.sha256):
        raise BundleInvalid(f"{listed.path} is not the file the bundle's manifest describes.")
    if held:
        yield held  # the last piece, once every check has passed


def _inflated(inflater: zlib._Decompress | None, raw: bytes) -> Iterator[bytes]:
    if inflater is None:
        yield raw
        return
    data = raw
    try:
        while data and not inflater.eof:
            piece = inflater.decompress(data, CHUNK_BYTES)
            data = inflater.unconsumed_tail
            if piece:
                yield piece
    except zlib.error:
        raise ReaderRefused("the zip entry is damaged (its compressed data)") from None
