"""Files with known metadata, built byte by byte from the formats' specifications (no library)."""

from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path

AUTHOR = "Alice Whistler"


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def png(path: Path, *, width: int = 2, height: int = 2, author: str | None = AUTHOR) -> Path:
    """An RGB PNG, white, with an Author text chunk when `author` is given."""
    rows = b"".join(b"\x00" + b"\xff\xff\xff" * width for _ in range(height))
    chunks = [_png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))]
    if author is not None:
        chunks.append(_png_chunk(b"tEXt", b"Author\x00" + author.encode("latin-1")))
    chunks += [_png_chunk(b"IDAT", zlib.compress(rows)), _png_chunk(b"IEND", b"")]
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"".join(chunks))
    return path


def _segment(marker: int, data: bytes) -> bytes:
    return struct.pack(">BBH", 0xFF, marker, len(data) + 2) + data


def _exif(artist: str) -> bytes:
    """An APP1 Exif block: a big-endian TIFF header and one IFD holding the Artist tag."""
    value = artist.encode("ascii") + b"\x00"
    ifd_offset = 8
    value_offset = ifd_offset + 2 + 12 + 4
    entry = struct.pack(">HHII", 0x013B, 2, len(value), value_offset)
    tiff = b"MM\x00\x2a" + struct.pack(">I", ifd_offset) + b"\x00\x01" + entry + b"\x00" * 4
    return b"Exif\x00\x00" + tiff + value


def jpeg(path: Path, *, artist: str | None = AUTHOR) -> Path:
    """An 8x8 grey baseline JPEG (one block, every coefficient zero) with Exif Artist."""
    # One-code Huffman tables: DC category 0 and the AC end-of-block, each coded as the bit "0".
    dc_table = b"\x00" + b"\x01" + b"\x00" * 15 + b"\x00"
    ac_table = b"\x10" + b"\x01" + b"\x00" * 15 + b"\x00"
    parts = [b"\xff\xd8"]
    if artist is not None:
        parts.append(_segment(0xE1, _exif(artist)))
    parts += [
        _segment(0xDB, b"\x00" + b"\x01" * 64),  # quantisation table 0, all ones
        _segment(0xC0, struct.pack(">BHHB", 8, 8, 8, 1) + b"\x01\x11\x00"),  # 8x8, one component
        _segment(0xC4, dc_table + ac_table),
        _segment(0xDA, b"\x01\x01\x00\x00\x3f\x00"),  # scan: component 1, tables 0/0
        b"\x3f",  # bits "00" (DC 0, end of block), padded with ones
        b"\xff\xd9",
    ]
    path.write_bytes(b"".join(parts))
    return path


def pdf(path: Path, *, author: str = AUTHOR) -> Path:
    """A one-page PDF whose document information names an Author."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R >>",
        b"<< /Length 0 >>\nstream\n\nendstream",
        b"<< /Author (" + author.encode("ascii") + b") /Title (Minutes) >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 5 0 R >>\n" % (len(objects) + 1)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    path.write_bytes(bytes(out))
    return path


_OOXML = "http://schemas.openxmlformats.org"
_ODF = "urn:oasis:names:tc:opendocument:xmlns"
_DC = "http://purl.org/dc/elements/1.1/"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_DOCX_TYPES = (
    f'{_XML}<Types xmlns="{_OOXML}/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    '<Override PartName="/docProps/core.xml" '
    'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/></Types>'
)
_DOCX_RELS = (
    f'{_XML}<Relationships xmlns="{_OOXML}/package/2006/relationships">'
    f'<Relationship Id="rId1" Target="word/document.xml" '
    f'Type="{_OOXML}/officeDocument/2006/relationships/officeDocument"/>'
    f'<Relationship Id="rId2" Target="docProps/core.xml" '
    f'Type="{_OOXML}/package/2006/relationships/metadata/core-properties"/></Relationships>'
)
_DOCX_BODY = (
    f'{_XML}<w:document xmlns:w="{_OOXML}/wordprocessingml/2006/main">'
    "<w:body><w:p><w:r><w:t>The minutes.</w:t></w:r></w:p></w:body></w:document>"
)
_DOCX_CORE = (
    f'{_XML}<cp:coreProperties xmlns:cp="{_OOXML}/package/2006/metadata/core-properties" '
    f'xmlns:dc="{_DC}"><dc:creator>{{author}}</dc:creator>'
    "<cp:lastModifiedBy>{author}</cp:lastModifiedBy></cp:coreProperties>"
)


def docx(path: Path, *, author: str = AUTHOR) -> Path:
    """A Word document of one paragraph whose core properties name its creator."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _DOCX_TYPES)
        archive.writestr("_rels/.rels", _DOCX_RELS)
        archive.writestr("word/document.xml", _DOCX_BODY)
        archive.writestr("docProps/core.xml", _DOCX_CORE.format(author=author))
    return path


_ODT_MANIFEST = (
    f'{_XML}<manifest:manifest xmlns:manifest="{_ODF}:manifest:1.0" manifest:version="1.2">'
    '<manifest:file-entry manifest:full-path="/" '
    'manifest:media-type="application/vnd.oasis.opendocument.text"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    '<manifest:file-entry manifest:full-path="meta.xml" manifest:media-type="text/xml"/>'
    "</manifest:manifest>"
)
_ODT_CONTENT = (
    f'{_XML}<office:document-content xmlns:office="{_ODF}:office:1.0" '
    f'xmlns:text="{_ODF}:text:1.0" office:version="1.2"><office:body><office:text>'
    "<text:p>The minutes.</text:p></office:text></office:body></office:document-content>"
)
_ODT_META = (
    f'{_XML}<office:document-meta xmlns:office="{_ODF}:office:1.0" '
    f'xmlns:meta="{_ODF}:meta:1.0" xmlns:dc="{_DC}" office:version="1.2"><office:meta>'
    "<meta:initial-creator>{author}</meta:initial-creator><dc:creator>{author}</dc:creator>"
    "</office:meta></office:document-meta>"
)


def odt(path: Path, *, author: str = AUTHOR) -> Path:
    """An OpenDocument text whose meta.xml names its creator ("mimetype" first and stored)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text", zipfile.ZIP_STORED)
        archive.writestr("META-INF/manifest.xml", _ODT_MANIFEST)
        archive.writestr("content.xml", _ODT_CONTENT)
        archive.writestr("meta.xml", _ODT_META.format(author=author))
    return path
