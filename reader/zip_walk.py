"""A zip cut short, read from its first byte: the entries that are whole, found one by one.

A zip's directory is at its end, so a truncated zip cannot be opened by zipfile at all. Its
entries can still be found from the start: each begins with a local header, and its end is
known from the sizes in that header, or, for a streamed entry (a bundle's are all streamed:
general purpose bit 3), from its data descriptor, which is accepted only where the size it gives
is exactly the distance walked and the next entry, the directory or the end of the file follows
it. A deflated streamed entry ends where its deflate stream ends, and its descriptor must then
give the CRC and sizes the walk measured. A stored entry's CRC is checked when it is read.

Nothing here trusts what it reads: the walk only says where each entry's bytes are and what its
CRC is. Names are checked, and bytes checked again, by the code that uses them. A deflated
entry's inflated size is bounded while walking, as when it is read, so a bomb costs the walk
no more than it may cost the import.
"""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from reader.names import shown_path

LOCAL_SIGNATURE = b"PK\x03\x04"
_DESCRIPTOR_SIGNATURE = b"PK\x07\x08"
_DIRECTORY_SIGNATURES = (b"PK\x01\x02", b"PK\x06\x06", b"PK\x05\x06")
_LOCAL = struct.Struct("<4sHHHHHIIIHH")
_EXTRA_HEAD = struct.Struct("<HH")
_ZIP64_SIZES = struct.Struct("<QQ")
_DESCRIPTOR_FORMS = (struct.Struct("<IQQ"), struct.Struct("<III"))  # ZIP64 first, then 32-bit
_ZIP64_EXTRA = 0x0001
_ZIP64_MARK = 0xFFFFFFFF
_ENCRYPTED = 0x1
_STREAMED = 0x8
_UTF8_NAME = 0x800
STORED, DEFLATED = 0, 8
_SCAN = 1 << 20


@dataclass(frozen=True)
class Found:
    """A whole entry: its raw name, flags, method, where its data is, and its checked CRC."""

    offset: int
    raw_name: bytes
    flags: int
    method: int
    data_start: int
    data_end: int
    crc: int
    size: int  # the inflated size, as the walk measured it (stored: data_end - data_start)

    @property
    def name(self) -> str:
        return self.raw_name.decode("utf-8" if self.flags & _UTF8_NAME else "cp437")


@dataclass(frozen=True)
class Lost:
    """An entry the walk could not recover, or where the walk had to stop, and why."""

    label: str
    reason: str


@dataclass
class Walk:
    """What a walk from the first byte found; `directory` when it reached the zip directory."""

    found: list[Found] = field(default_factory=list)
    lost: list[Lost] = field(default_factory=list)
    directory: bool = False


@dataclass(frozen=True)
class Limits:
    """A deflated entry may inflate to ratio * its deflated size + slack, all to `total`."""

    ratio: int
    slack: int
    total: int
    entries: int


class _Stop(Exception):
    """The walk cannot go past this point; the reason becomes a Lost line."""

    def __init__(self, label: str, reason: str) -> None:
        super().__init__(reason)
        self.lost = Lost(label, reason)


def walk(handle: BinaryIO, limits: Limits) -> Walk:
    """Every whole entry of the zip open in `handle`, from the start, until it ends or breaks."""
    size = os.fstat(handle.fileno()).st_size
    result = Walk()
    offset = 0
    inflated = 0
    while True:
        head = os.pread(handle.fileno(), 4, offset)
        if not head:
            return result  # cut exactly between two entries
        if head in _DIRECTORY_SIGNATURES:
            result.directory = True
            return result
        if head != LOCAL_SIGNATURE:
            what = (
                "cut short inside an entry's header"
                if len(head) < len(LOCAL_SIGNATURE)
                else "not a zip entry"
            )
            result.lost.append(Lost(f"(byte {offset})", f"{what}; nothing after it can be read"))
            return result
        if len(result.found) >= limits.entries:
            result.lost.append(Lost(f"(byte {offset})", "too many entries; the rest is ignored"))
            return result
        try:
            found = _entry(handle.fileno(), offset, size, limits)
        except _Stop as stop:
            result.lost.append(stop.lost)
            return result
        if found.method == DEFLATED:
            inflated += found.size
            if inflated > limits.total:
                result.lost.append(
                    Lost(_label(found.raw_name, found.flags), "the zip inflates beyond the "
                         "reader's limit; refused, and nothing after it is read")
                )  # fmt: skip
                return result
        result.found.append(found)
        offset = _after_descriptor(handle.fileno(), found)


def _label(raw: bytes, flags: int) -> str:
    return shown_path(raw.decode("utf-8" if flags & _UTF8_NAME else "cp437", errors="replace"))


def _entry(fd: int, offset: int, size: int, limits: Limits) -> Found:
    header = os.pread(fd, _LOCAL.size, offset)
    if len(header) < _LOCAL.size:
        raise _Stop(f"(byte {offset})", "cut short inside an entry's header")
    _, _, flags, method, _, _, crc, csize, usize, name_len, extra_len = _LOCAL.unpack(header)
    name = os.pread(fd, name_len, offset + _LOCAL.size)
    extra = os.pread(fd, extra_len, offset + _LOCAL.size + name_len)
    if len(name) < name_len or len(extra) < extra_len:
        raise _Stop(f"(byte {offset})", "cut short inside an entry's header")
    label = _label(name, flags)
    start = offset + _LOCAL.size + name_len + extra_len
    zip64 = _zip64_sizes(extra)
    if zip64 is not None and _ZIP64_MARK in {csize, usize}:
        usize, csize = zip64
    if not flags & _STREAMED:
        if start + csize > size:
            raise _Stop(label, "cut short: the file ends inside this entry")
        measured = usize if method != STORED else csize
        return Found(offset, name, flags, method, start, start + csize, crc, measured)
    if flags & _ENCRYPTED:
        raise _Stop(label, "encrypted by zip, so its end cannot be found; nothing after it is read")
    if method == STORED:
        end, crc = _stored_end(fd, start, size, label)
        return Found(offset, name, flags, method, start, end, crc, end - start)
    if method == DEFLATED:
        end, crc, inflated = _deflated_end(fd, start, size, label, limits)
        return Found(offset, name, flags, method, start, end, crc, inflated)
    raise _Stop(label, "compressed in a way the reader does not read; nothing after it is read")


def _zip64_sizes(extra: bytes) -> tuple[int, int] | None:
    at = 0
    while at + _EXTRA_HEAD.size <= len(extra):
        kind, length = _EXTRA_HEAD.unpack_from(extra, at)
        body = extra[at + _EXTRA_HEAD.size : at + _EXTRA_HEAD.size + length]
        if kind == _ZIP64_EXTRA and len(body) >= _ZIP64_SIZES.size:
            usize, csize = _ZIP64_SIZES.unpack_from(body)
            return usize, csize
        at += _EXTRA_HEAD.size + length
    return None


def _signatures(fd: int, start: int, size: int) -> Iterator[int]:
    """Every offset from `start` where a data descriptor's signature begins."""
    overlap = len(_DESCRIPTOR_SIGNATURE) - 1
    at = start
    while at < size:
        block = os.pread(fd, _SCAN + overlap, at)
        found = block.find(_DESCRIPTOR_SIGNATURE)
        while found != -1:
            yield at + found
            found = block.find(_DESCRIPTOR_SIGNATURE, found + 1)
        if len(block) <= overlap:
            return
        at += len(block) - overlap


def _descriptor_matches(fd: int, at: int, crc: int, csize: int, usize: int) -> bool:
    return _descriptor_crc(fd, at, csize, usize) == crc


def _descriptor_crc(fd: int, at: int, csize: int, usize: int) -> int | None:
    """The CRC of the descriptor at `at` if it gives these sizes, and what follows it is the
    next entry, the directory or the end of the file; else None."""
    for form in _DESCRIPTOR_FORMS:
        raw = os.pread(fd, form.size, at)
        if len(raw) == form.size and form.unpack(raw)[1:] == (csize, usize):
            after = os.pread(fd, 4, at + form.size)
            if any(sign.startswith(after) for sign in (LOCAL_SIGNATURE, *_DIRECTORY_SIGNATURES)):
                return int(form.unpack(raw)[0])  # (a signature cut short is the end of the file)
    return None


def _stored_end(fd: int, start: int, size: int, label: str) -> tuple[int, int]:
    """A streamed stored entry ends at the first descriptor whose size is the distance walked
    and which the next entry (or the directory, or the end) follows. Its CRC is the one the
    descriptor gives: bytes damaged inside it fail that CRC when they are read, and the walk
    goes on to the next entry."""
    for at in _signatures(fd, start, size):
        length = at - start
        crc = _descriptor_crc(fd, at + len(_DESCRIPTOR_SIGNATURE), length, length)
        if crc is not None:
            return at, crc
    raise _Stop(label, "cut short: the file ends inside this entry")


def _deflated_end(
    fd: int, start: int, size: int, label: str, limits: Limits
) -> tuple[int, int, int]:
    """A streamed deflated entry ends where its deflate stream does; inflated but not kept."""
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    crc, inflated, at = 0, 0, start
    try:
        while not inflater.eof:
            block = os.pread(fd, _SCAN, at)
            if not block:
                raise _Stop(label, "cut short: the file ends inside this entry")
            at += len(block)
            data = block
            while data and not inflater.eof:
                out = inflater.decompress(data, _SCAN)
                data = inflater.unconsumed_tail
                crc, inflated = zlib.crc32(out, crc), inflated + len(out)
                consumed = at - start - len(data) - len(inflater.unused_data)
                if inflated > consumed * limits.ratio + limits.slack:
                    raise _Stop(label, "it inflates far beyond its size (a zip bomb); refused, "
                                "and nothing after it is read")  # fmt: skip
    except zlib.error:
        raise _Stop(label, "its compressed data is damaged; nothing after it is read") from None
    end = at - len(inflater.unused_data)
    if not _descriptor_after(fd, end, crc, end - start, inflated):
        raise _Stop(label, "its sizes or CRC do not match its data; nothing after it is read")
    return end, crc, inflated


def _descriptor_after(fd: int, end: int, crc: int, csize: int, usize: int) -> bool:
    if os.pread(fd, 4, end) == _DESCRIPTOR_SIGNATURE:
        end += len(_DESCRIPTOR_SIGNATURE)
    return _descriptor_matches(fd, end, crc, csize, usize)


def _after_descriptor(fd: int, found: Found) -> int:
    """Where the next entry begins: right after the data, or after its data descriptor."""
    end = found.data_end
    if not found.flags & _STREAMED:
        return end
    if os.pread(fd, 4, end) == _DESCRIPTOR_SIGNATURE:
        end += len(_DESCRIPTOR_SIGNATURE)
    csize = found.data_end - found.data_start
    for form in _DESCRIPTOR_FORMS:
        raw = os.pread(fd, form.size, end)
        if len(raw) == form.size and form.unpack(raw)[1:] == (csize, found.size):
            return end + form.size
    return end  # not reached: the walk matched a descriptor to find this entry
