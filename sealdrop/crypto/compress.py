"""A streaming gzip writer that keeps the original file name inside the (later encrypted) member."""

from __future__ import annotations

import struct
import unicodedata
import zlib
from collections.abc import Callable, Iterator
from typing import Any

from isal import isal_zlib

# ISA-L's level 1 compresses incompressible data at ~400 MB/s where zlib manages ~40 MB/s,
# which keeps gzip from being the slowest step between the request body and gpg.
COMPRESS_LEVEL = 1
# Most of what sources send (PDF, JPEG, video, office files) is compressed already. After this much
# input, a stream that did not shrink below this ratio goes on as stored deflate blocks (memcpy
# speed) instead of costing a full core for nothing; the gzip stays one valid member.
SAMPLE_BYTES = 1 << 20
INCOMPRESSIBLE_RATIO = 0.9
MAX_NAME_BYTES = 255
_FNAME_FLAG = 0x08
_OS_UNKNOWN = 255


def safe_member_name(filename: str | None) -> str:
    """The name stored in the gzip header: no directories, no control characters, bounded length."""
    name = unicodedata.normalize("NFC", filename or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip().lstrip(".")
    encoded = name.encode("utf-8")[:MAX_NAME_BYTES]
    name = encoded.decode("utf-8", errors="ignore")
    return name or "upload"


class GzipWriter:
    """Compress what is written and hand gzip bytes to `sink`; call close() to write the trailer."""

    def __init__(self, sink: Callable[[bytes], object], *, member_name: str) -> None:
        self._sink = sink
        self._compressor: Any = isal_zlib.compressobj(
            COMPRESS_LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS
        )
        self._crc = 0
        self._size = 0
        self._sampled_out: int | None = 0  # None once the choice of compression is made
        self.compressing = True  # False once the input proved incompressible
        name = safe_member_name(member_name).encode("utf-8") + b"\x00"
        header = struct.pack("<BBBBIBB", 0x1F, 0x8B, 8, _FNAME_FLAG, 0, 0, _OS_UNKNOWN)
        self._sink(header + name)

    @property
    def plaintext_size(self) -> int:
        return self._size

    def write(self, data: bytes) -> int:
        self._crc = isal_zlib.crc32(data, self._crc)
        self._size += len(data)
        compressed = self._compressor.compress(data)
        if self._sampled_out is not None:
            self._sampled_out += len(compressed)
            if self._size >= SAMPLE_BYTES:
                compressed += self._choose_compression()
        if compressed:
            self._sink(compressed)
        return len(data)

    def _choose_compression(self) -> bytes:
        ratio = (self._sampled_out or 0) / self._size
        self._sampled_out = None
        if ratio < INCOMPRESSIBLE_RATIO:
            return b""
        # A full flush ends the deflate data on a byte boundary without a final block, so the
        # stored blocks that follow continue the same stream.
        tail = bytes(self._compressor.flush(isal_zlib.Z_FULL_FLUSH))
        self._compressor = zlib.compressobj(0, zlib.DEFLATED, -zlib.MAX_WBITS)
        self.compressing = False
        return tail

    def close(self) -> None:
        trailer = struct.pack("<II", self._crc & 0xFFFFFFFF, self._size & 0xFFFFFFFF)
        self._sink(self._compressor.flush() + trailer)


_FHCRC, _FEXTRA, _FCOMMENT = 0x02, 0x04, 0x10
_FIXED_HEADER = 10
# A header larger than this is not one the server wrote: refuse it rather than buffer it.
MAX_HEADER_BYTES = 4096
_TRAILER_BYTES = 8  # CRC-32 and size, little-endian


class GzipFormatError(ValueError):
    """The bytes are not one well-formed gzip member (bad header, CRC, size or trailing data)."""


class GzipReader:
    """Gunzip a stream fed in pieces; `name` is the member's FNAME once the header has passed.

    Each feed() gives its output in pieces of at most `piece` bytes, so a small input that
    inflates to gigabytes never sits in memory at once; the caller counts and bounds the total.
    """

    def __init__(self, *, piece: int = 1 << 20) -> None:
        self._piece = piece
        self._pending = b""  # header or trailer bytes not yet complete
        self._inflater: Any = None
        self._crc = 0
        self._size = 0
        self._done = False
        self.name: str | None = None

    def feed(self, data: bytes | memoryview) -> Iterator[bytes]:
        if self._done:
            if data:
                raise GzipFormatError("data after the end of the gzip member")
            return
        if self._inflater is None:
            rest = self._take_header(self._pending + data)
            if rest is None:
                return
            data = rest
        if self._inflater.eof:
            self._pending += data
            self._check_trailer(final=False)
            return
        while data:
            out = self._inflater.decompress(data, self._piece)
            if out:
                self._crc = isal_zlib.crc32(out, self._crc)
                self._size += len(out)
                yield bytes(out)
            if self._inflater.eof:
                self._pending += self._inflater.unused_data
                data = b""
                self._check_trailer(final=False)
            else:
                data = self._inflater.unconsumed_tail

    def close(self) -> None:
        """The member must be complete: deflate end, CRC and size trailer, nothing after."""
        if self._inflater is None or not self._inflater.eof:
            raise GzipFormatError("the gzip member is cut short")
        self._check_trailer(final=True)

    def _check_trailer(self, *, final: bool) -> None:
        if len(self._pending) < _TRAILER_BYTES:
            if final:
                raise GzipFormatError("the gzip member is cut short")
            return
        crc, size = struct.unpack("<II", self._pending[:_TRAILER_BYTES])
        if crc != self._crc & 0xFFFFFFFF or size != self._size & 0xFFFFFFFF:
            raise GzipFormatError("the gzip member's checksum does not match its content")
        if len(self._pending) > _TRAILER_BYTES:
            raise GzipFormatError("data after the end of the gzip member")
        self._done = True

    def _take_header(self, buffer: bytes) -> bytes | None:
        """The bytes after a complete header (and set up inflation), or None to wait for more."""
        parsed = _parse_header(buffer)
        if parsed is None:
            self._pending = buffer
            return None
        self.name, offset = parsed
        self._pending = b""
        self._inflater = isal_zlib.decompressobj(-zlib.MAX_WBITS)
        return buffer[offset:]


def _parse_header(buffer: bytes) -> tuple[str | None, int] | None:
    if len(buffer) < _FIXED_HEADER:
        return None
    magic1, magic2, method, flags = buffer[0], buffer[1], buffer[2], buffer[3]
    if (magic1, magic2, method) != (0x1F, 0x8B, 8):
        raise GzipFormatError("not gzip data")
    offset = _FIXED_HEADER
    if flags & _FEXTRA:
        if len(buffer) < offset + 2:
            return _more(buffer)
        offset += 2 + struct.unpack("<H", buffer[offset : offset + 2])[0]
    name = None
    for flag in (_FNAME_FLAG, _FCOMMENT):
        if flags & flag:
            end = buffer.find(b"\x00", offset)
            if end < 0:
                return _more(buffer)
            if flag == _FNAME_FLAG:
                name = buffer[offset:end].decode("utf-8", errors="replace")
            offset = end + 1
    if flags & _FHCRC:
        offset += 2
    return (name, offset) if len(buffer) >= offset else _more(buffer)


def _more(buffer: bytes) -> tuple[str | None, int] | None:
    """None (wait for more bytes), unless the header is already longer than any real one."""
    if len(buffer) > MAX_HEADER_BYTES:
        raise GzipFormatError("the gzip header is too long")
    return None
