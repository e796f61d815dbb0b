"""Reading a bundle on the reader machine: every check before anything is trusted, one error.

The file comes from a USB stick and may have been made by anyone, so the zip's own directory is
checked against the manifest both ways, names must be exactly the ones the manifest's fields
make, and each entry's bytes are checked against the manifest's size and sha256 as they are read.
"""

from __future__ import annotations

import hashlib
import os
import struct
import zipfile
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import NamedTuple

from isal import isal_zlib

from sealdrop.bundle.format import (
    CHUNK_BYTES,
    MANIFEST_MAX_BYTES,
    MANIFEST_NAME,
    BundleEntry,
    Manifest,
    parse_manifest,
    shown,
)
from sealdrop.errors import BundleInvalid

# Whatever zipfile raises on a damaged or hostile archive; each becomes one BundleInvalid.
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    OSError,
    ValueError,
    EOFError,
    RuntimeError,
    NotImplementedError,
    struct.error,
)
_LOCAL_HEADER_BYTES = 30
_ENCRYPTED_FLAG = 0x1
_UTF8_FLAG = 0x800
_LOCAL_SIGNATURE = b"PK\x03\x04"
_FORBIDDEN_IN_NAMES = ("\\", "\x00", ":")


class Span(NamedTuple):
    """`length` bytes of the bundle file (Bundle.fileno()) from `offset`."""

    offset: int
    length: int


class Bundle:
    """An opened, checked bundle; read an entry's bytes with chunks() (or where they lie, with
    spans()). Close it when done."""

    def __init__(
        self, archive: zipfile.ZipFile, manifest: Manifest, infos: dict[str, zipfile.ZipInfo]
    ) -> None:
        self._archive = archive
        self.manifest = manifest
        self._listed = frozenset(manifest.entries)
        self._infos = infos

    @property
    def entries(self) -> tuple[BundleEntry, ...]:
        return self.manifest.entries

    def __iter__(self) -> Iterator[BundleEntry]:
        return iter(self.manifest.entries)

    def chunks(self, entry: BundleEntry, chunk_bytes: int = CHUNK_BYTES) -> Iterator[bytes]:
        """The entry's ciphertext in pieces; BundleInvalid at the end if it is not what the
        manifest says. Keep nothing of it until the iterator has finished without an error.

        Entries are stored, so their bytes are read as they lie in the file, after the local
        header is checked as zipfile checks it; the CRC is the zip directory's, the size and
        SHA-256 the manifest's (zipfile's own reader cost a third more CPU on a large item).
        """
        if entry not in self._listed:
            raise ValueError("that entry is not one of this bundle's")
        info = self._infos[entry.path]
        digest = hashlib.sha256()
        crc = 0
        try:
            fd = self._archive.fp.fileno()  # type: ignore[union-attr]
            at = _data_start(fd, info)
            end = at + entry.size
            held = b""  # the last piece is given only once every check has passed
            while at < end:
                chunk = os.pread(fd, min(chunk_bytes, end - at), at)
                if not chunk:
                    break
                at += len(chunk)
                digest.update(chunk)
                crc = isal_zlib.crc32(chunk, crc)
                if held:
                    yield held
                held = chunk
        except _ZIP_ERRORS:
            raise BundleInvalid(f"{entry.path} is damaged in this bundle.") from None
        if at != end or crc != info.CRC:
            raise BundleInvalid(f"{entry.path} is damaged in this bundle.")
        if digest.hexdigest() != entry.sha256:
            raise BundleInvalid(f"{entry.path} is not the file the bundle's manifest describes.")
        if held:
            yield held

    def fileno(self) -> int:
        """The open bundle file, which spans() give places in."""
        return self._archive.fp.fileno()  # type: ignore[union-attr]

    def spans(self, entry: BundleEntry, chunk_bytes: int = CHUNK_BYTES) -> Iterator[Span]:
        """Where the entry's ciphertext lies in fileno(), in pieces, each given once its bytes
        were read and hashed; BundleInvalid at the end, with the same messages as chunks(), if
        they are not what the manifest says (the last piece is given only once they are).

        For a consumer that has the kernel move the bytes (splice), never copying them through
        Python: it reads the same pages of the page cache that were hashed a moment before.
        The bytes are read once, into one reused buffer, for the SHA-256 only. The zip's CRC is
        not computed: the SHA-256 of the same bytes, checked against the manifest, is the
        stronger check. Only when an entry fails it is the CRC computed, to say, as chunks()
        does, whether the entry is damaged or is not the manifest's file.
        """
        if entry not in self._listed:
            raise ValueError("that entry is not one of this bundle's")
        info = self._infos[entry.path]
        digest = hashlib.sha256()
        try:
            fd = self.fileno()
            start = at = _data_start(fd, info)
            end = at + entry.size
            held: Span | None = None
            with memoryview(bytearray(min(chunk_bytes, max(entry.size, 1)))) as buffer:
                while at < end:
                    got = os.preadv(fd, [buffer[: end - at]], at)
                    if not got:
                        break
                    digest.update(buffer[:got])
                    if held is not None:
                        yield held
                    held = Span(at, got)
                    at += got
        except _ZIP_ERRORS:
            raise BundleInvalid(f"{entry.path} is damaged in this bundle.") from None
        if at != end or digest.hexdigest() != entry.sha256:
            if at != end or _crc(fd, start, entry.size, chunk_bytes) != info.CRC:
                raise BundleInvalid(f"{entry.path} is damaged in this bundle.")
            raise BundleInvalid(f"{entry.path} is not the file the bundle's manifest describes.")
        if held is not None:
            yield held

    def verify(self) -> None:
        """Read every entry once, so a damaged bundle is refused before any of it is used."""
        for entry in self.manifest.entries:
            for _ in self.chunks(entry):
                pass

    def close(self) -> None:
        self._archive.close()

    def __enter__(self) -> Bundle:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def open_bundle(path: Path) -> Bundle:
    """Open the bundle at `path` and check its structure and manifest; raise BundleInvalid.

    The entries' bytes are checked as they are read (Bundle.chunks), or all at once by verify().
    """
    try:
        archive = zipfile.ZipFile(path)
    except _ZIP_ERRORS:
        raise BundleInvalid("This file is not a bundle, or it is damaged or cut short.") from None
    try:
        infos = _check_directory(archive, path.stat().st_size)
        manifest = _read_manifest(archive, infos)
        _match(manifest, infos)
    except BaseException:
        archive.close()
        raise
    return Bundle(archive, manifest, infos)


def _crc(fd: int, start: int, size: int, chunk_bytes: int) -> int | None:
    """The CRC-32 of `size` bytes of `fd` from `start`; None if they cannot all be read."""
    crc, at, end = 0, start, start + size
    try:
        while at < end:
            chunk = os.pread(fd, min(chunk_bytes, end - at), at)
            if not chunk:
                return None
            crc = isal_zlib.crc32(chunk, crc)
            at += len(chunk)
    except OSError:
        return None
    return crc


def _data_start(fd: int, info: zipfile.ZipInfo) -> int:
    """Where an entry's data begins, once its local header is the one the directory names."""
    header = os.pread(fd, _LOCAL_HEADER_BYTES, info.header_offset)
    if len(header) != _LOCAL_HEADER_BYTES or header[:4] != _LOCAL_SIGNATURE:
        raise zipfile.BadZipFile("bad local header")
    flags, name_bytes, extra_bytes = struct.unpack("<H18xHH", header[6:])
    raw = os.pread(fd, name_bytes, info.header_offset + _LOCAL_HEADER_BYTES)
    name = raw.decode("utf-8" if flags & _UTF8_FLAG else "cp437")
    if name != info.orig_filename or flags & _ENCRYPTED_FLAG:
        raise zipfile.BadZipFile("the local header and the directory differ")
    start: int = info.header_offset + _LOCAL_HEADER_BYTES + name_bytes + extra_bytes
    return start


def _check_directory(archive: zipfile.ZipFile, file_size: int) -> dict[str, zipfile.ZipInfo]:
    """The zip's own directory: safe, unique names; stored, unencrypted, non-overlapping entries."""
    infos: dict[str, zipfile.ZipInfo] = {}
    for info in archive.infolist():
        _check_name(info)
        if info.filename in infos:
            raise BundleInvalid(f"The bundle holds {shown(info.filename)} twice.")
        if info.flag_bits & _ENCRYPTED_FLAG or info.compress_type != zipfile.ZIP_STORED:
            raise BundleInvalid("The bundle holds a compressed or encrypted entry; none should be.")
        if info.compress_size != info.file_size:
            raise BundleInvalid(f"{shown(info.filename)} has two different sizes in the bundle.")
        infos[info.filename] = info
    # Entries must follow one another: overlapping entries would let one byte count many times.
    end = 0
    for info in sorted(infos.values(), key=lambda i: i.header_offset):
        if info.header_offset < end:
            raise BundleInvalid("The bundle's entries overlap; the file is damaged or forged.")
        end = info.header_offset + _LOCAL_HEADER_BYTES + len(info.orig_filename) + info.file_size
    if end > file_size:
        raise BundleInvalid("The bundle is shorter than its entries; it was cut short.")
    return infos


def _check_name(info: zipfile.ZipInfo) -> None:
    name = info.orig_filename
    parts = name.split("/")
    unsafe = (
        name != info.filename  # zipfile cut the name at a NUL byte
        or name.startswith("/")
        or any(part in {"", ".", ".."} for part in parts)
        or any(mark in name for mark in _FORBIDDEN_IN_NAMES)
        or not name.isprintable()
    )
    if unsafe:
        raise BundleInvalid(f"The bundle holds an entry with an unsafe name ({shown(name)}).")


def _read_manifest(archive: zipfile.ZipFile, infos: dict[str, zipfile.ZipInfo]) -> Manifest:
    info = infos.get(MANIFEST_NAME)
    if info is None:
        raise BundleInvalid("The bundle has no manifest; it is not a bundle, or it was cut short.")
    if info.file_size > MANIFEST_MAX_BYTES:
        raise BundleInvalid("The bundle's manifest is too large; this is not a Sealdrop bundle.")
    try:
        with archive.open(info) as data:
            # One byte more than allowed, in case the directory understates the size.
            raw = data.read(MANIFEST_MAX_BYTES + 1)
    except _ZIP_ERRORS:
        raise BundleInvalid("The bundle's manifest is damaged.") from None
    return parse_manifest(raw)


def _match(manifest: Manifest, infos: dict[str, zipfile.ZipInfo]) -> None:
    """Every zip entry is in the manifest, every manifest entry in the zip, at the same size."""
    listed = {entry.path for entry in manifest.entries}
    extra = sorted(set(infos) - listed - {MANIFEST_NAME})
    if extra:
        raise BundleInvalid(
            f"The bundle holds {shown(extra[0])}, which its manifest does not list."
        )
    missing = sorted(listed - set(infos))
    if missing:
        raise BundleInvalid(f"The bundle lacks {shown(missing[0])}, which its manifest lists.")
    for entry in manifest.entries:
        if infos[entry.path].file_size != entry.size:
            raise BundleInvalid(f"{entry.path} is not the size the bundle's manifest says.")
