"""SecureDrop-style folders and zips, double-encrypted items, replies, names shown safely."""

from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path

import pytest

from reader.names import shown, shown_lines, shown_path
from sealdrop.domain.items import Kind
from tests.reader.helpers import (
    PASSPHRASE,
    KeyTemplate,
    ReaderMachine,
    encrypt_to,
    gzipped,
    other_public_key,
    write_files,
)


def test_a_securedrop_export_folder_is_filed_by_source_and_number(
    reader: ReaderMachine, reader_key: KeyTemplate, tmp_path: Path
) -> None:
    # SecureDrop's bulk download nests items in dated folders under the designation's folder.
    public = reader_key.public
    folder = write_files(
        tmp_path / "export",
        {
            "all/amber heron/1_2024-05-01/1-amber-heron-msg.gpg": encrypt_to(public, b"hi"),
            "all/amber heron/2_2024-05-01/2-amber-heron-doc.gz.gpg": encrypt_to(
                public, gzipped(b"%PDF-1.7 ...", "report.pdf")
            ),
            "all/amber heron/3_2024-05-02/3-amber-heron-reply.gpg": encrypt_to(public, b"thanks"),
            "4-quiet-otter-msg.gpg": encrypt_to(public, b"no folder"),
        },
    )
    with reader.vault() as vault:
        report = vault.import_path(folder, reader.keyring, PASSPHRASE)
        assert report.count("imported") == 4
        items = vault.conversation("amber heron")
        assert [(i.number, i.kind) for i in items] == [
            (1, Kind.MESSAGE), (2, Kind.FILE), (3, Kind.REPLY),
        ]  # fmt: skip
        assert items[1].path.read_bytes() == b"%PDF-1.7 ..."
        assert items[1].original_name == "report.pdf"
        assert items[2].text() == "thanks"
        assert vault.conversation("quiet otter")[0].text() == "no folder"
        # The folder's own files come first, so amber heron's items are the newest imported.
        assert [s.designation for s in vault.sources()] == ["amber heron", "quiet otter"]


def test_a_zip_of_gpg_files_imports_and_twice_adds_nothing(
    reader: ReaderMachine, reader_key: KeyTemplate, tmp_path: Path
) -> None:
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("amber heron/1-amber-heron-msg.gpg", encrypt_to(reader_key.public, b"a"))
        archive.writestr("amber heron/", b"")  # a folder entry: skipped, not reported
    with reader.vault() as vault:
        first = vault.import_path(path, reader.keyring, PASSPHRASE)
        second = vault.import_path(path, reader.keyring, PASSPHRASE)
    assert [o.status for o in first.outcomes] == ["imported"]
    assert [o.status for o in second.outcomes] == ["duplicate"]


def test_double_encrypted_submissions_are_opened_and_marked(
    reader: ReaderMachine, reader_key: KeyTemplate, tmp_path: Path
) -> None:
    public = reader_key.public
    inner_file = encrypt_to(public, b"secret spreadsheet")
    inner_message = encrypt_to(public, b"armored inside", armor=True)
    foreign = encrypt_to(other_public_key(), b"for someone else", armor=True)
    folder = write_files(
        tmp_path / "c",
        {
            "amber heron/1-amber-heron-msg.gpg": encrypt_to(public, inner_message),
            "amber heron/2-amber-heron-doc.gz.gpg": encrypt_to(
                public, gzipped(inner_file, "sheet.xlsx.gpg")
            ),
            "amber heron/3-amber-heron-msg.gpg": encrypt_to(public, foreign),
        },
    )
    with reader.vault() as vault:
        vault.import_path(folder, reader.keyring, PASSPHRASE)
        message, file, other = vault.conversation("amber heron")
    assert (message.text(), message.double_encrypted) == ("armored inside", True)
    assert (file.path.read_bytes(), file.double_encrypted) == (b"secret spreadsheet", True)
    assert file.original_name == "sheet.xlsx.gpg"
    # Encrypted inside to a key this reader lacks: kept as it came, and said so.
    assert other.double_encrypted is False
    assert other.text() == foreign.decode()
    assert other.note is not None
    assert "encrypted to another key" in other.note


def test_original_names_are_shown_escaped(
    reader: ReaderMachine, reader_key: KeyTemplate, tmp_path: Path
) -> None:
    # A forged item (anyone can encrypt to the public key): the server would have cleaned the
    # name; here a right-to-left override makes it read as "invoiceexe.jpg".
    name = "invoice\u202egpj.exe"
    sealed = encrypt_to(reader_key.public, forged_gzip(b"MZ...", name))
    folder = write_files(tmp_path / "c", {"amber heron/1-amber-heron-doc.gz.gpg": sealed})
    with reader.vault() as vault:
        vault.import_path(folder, reader.keyring, PASSPHRASE)
        [item] = vault.conversation("amber heron")
    assert item.original_name == name
    assert item.shown_name == "invoice\\u202egpj.exe"
    assert item.path.name == "0001-file"


def forged_gzip(data: bytes, name: str) -> bytes:
    """A gzip member whose header holds `name` as given, UTF-8, unfiltered."""
    deflate = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    body = deflate.compress(data) + deflate.flush()
    header = b"\x1f\x8b\x08\x08" + bytes(6) + name.encode() + b"\x00"
    return header + body + struct.pack("<II", zlib.crc32(data), len(data))


def test_shown_escapes_controls_and_separators() -> None:
    assert shown("a/b\\c") == "a\u2215b\u29f5c"
    assert shown("bell\x07\nnew\u200fline") == "bell\\x07\\x0anew\\u200fline"
    assert shown("x" * 300, limit=10) == "x" * 9 + "…"
    assert shown("Ça va — 東京.pdf") == "Ça va — 東京.pdf"


@pytest.mark.parametrize(
    ("untrusted", "escaped"),
    [
        ("report.pdf", "report.pdf"),
        ("invoice\u202efdp.exe", "invoice\\u202efdp.exe"),
        ("two\nlines", "two\\x0alines"),
        ("\x1b[2Jcleared", "\\x1b[2Jcleared"),
        ("back\\slash", "back\u29f5slash"),  # a look-alike: no escape can be faked
        ("naïve café.txt", "naïve café.txt"),
        ("\U000e0041tag", "\\U000e0041tag"),
        ("", '""'),
    ],
)
def test_shown_names_escape_what_could_hide_or_rearrange(untrusted: str, escaped: str) -> None:
    assert shown(untrusted) == escaped


def test_a_long_shown_name_is_cut() -> None:
    cut = shown("a" * 500)
    assert len(cut) == 200
    assert cut.endswith("…")


def test_shown_escapes_odd_spaces_and_keeps_blank_lines_blank() -> None:
    assert shown("no\u00a0break\u2028line\u200bzero") == "no\\xa0break\\u2028line\\u200bzero"
    assert shown_lines("one\n\nthree") == ["one", "", "three"]
    assert shown_path("/media/export/\u202eevil") == "/media/export/\\u202eevil"
