"""Ciphertext fed to gpg as spans of an open file (spliced, never copied through Python).

A bundle entry reaches gpg that way; a damaged, cut or unreadable span fails in one line, and
a large item (past the few MiB after which both pipes are read and written half a pipe at a
time) comes out whole.
"""

from __future__ import annotations

import os
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from reader.carriers import open_carrier
from reader.vault import Vault
from sealdrop.crypto.submission_key import FileSpan
from sealdrop.crypto.submission_key.decryption import copy_span
from sealdrop.errors import DecryptionFailed
from sealdrop.runtime.instance import Instance
from tests.reader.helpers import (
    PASSPHRASE,
    KeyTemplate,
    ReaderMachine,
    data_start,
    download,
    encrypt_to,
    gzipped,
    submit,
    write_files,
)

LARGE = 6 << 20  # past the point where both pipes are handled half a pipe at a time
JUNK = 4099  # bytes before and after the ciphertext in its file


@pytest.fixture
def vault(reader: ReaderMachine) -> Iterator[Vault]:
    with reader.vault() as opened:
        yield opened


@pytest.fixture(scope="module")
def large_plain() -> bytes:
    return os.urandom(LARGE)


@pytest.fixture(scope="module")
def large_sealed(reader_key: KeyTemplate, large_plain: bytes) -> bytes:
    return encrypt_to(reader_key.public, large_plain)


def spans_of(path: Path, start: int, length: int, piece: int = 1 << 20) -> Iterator[FileSpan]:
    fd = os.open(path, os.O_RDONLY)
    try:
        for at in range(start, start + length, piece):
            yield FileSpan(fd, at, min(piece, start + length - at))
    finally:
        os.close(fd)


def embedded(path: Path, sealed: bytes) -> Path:
    """`sealed` in the middle of a file, as a bundle entry lies between others."""
    path.write_bytes(os.urandom(JUNK) + sealed + os.urandom(JUNK))
    return path


def decrypted(reader: ReaderMachine, feed: Iterator[FileSpan]) -> bytes:
    out = bytearray()
    reader.keyring.decrypt(feed, out.extend, PASSPHRASE)
    return bytes(out)


def test_a_large_ciphertext_spliced_from_the_middle_of_a_file_comes_out_whole(
    reader: ReaderMachine, large_plain: bytes, large_sealed: bytes, tmp_path: Path
) -> None:
    path = embedded(tmp_path / "c.bin", large_sealed)
    assert decrypted(reader, spans_of(path, JUNK, len(large_sealed))) == large_plain


def test_a_damaged_span_fails_in_one_line(
    reader: ReaderMachine, large_sealed: bytes, tmp_path: Path
) -> None:
    damaged = bytearray(large_sealed)
    damaged[len(damaged) // 2] ^= 0x01
    path = embedded(tmp_path / "c.bin", bytes(damaged))
    with pytest.raises(DecryptionFailed, match="damaged"):
        decrypted(reader, spans_of(path, JUNK, len(damaged)))


def test_a_span_past_the_end_of_its_file_fails_in_one_line(
    reader: ReaderMachine, reader_key: KeyTemplate, tmp_path: Path
) -> None:
    sealed = encrypt_to(reader_key.public, os.urandom(300_000))
    path = tmp_path / "cut.bin"
    path.write_bytes(sealed[: len(sealed) // 2])  # the file was cut after it was listed
    with pytest.raises(DecryptionFailed, match=r"^it is cut short \(its file ends before"):
        decrypted(reader, spans_of(path, 0, len(sealed), piece=1 << 16))


def test_an_unreadable_span_fails_in_one_line(reader: ReaderMachine, tmp_path: Path) -> None:
    path = tmp_path / "write-only.bin"
    path.write_bytes(b"x" * 1000)
    fd = os.open(path, os.O_WRONLY)  # splice and pread both refuse to read it
    try:
        with pytest.raises(DecryptionFailed, match=r"^it could not be read \(Bad file"):
            decrypted(reader, iter([FileSpan(fd, 0, 1000)]))
    finally:
        os.close(fd)


def read_pipe(read_end: int, got: bytearray) -> None:
    with os.fdopen(read_end, "rb") as pipe:
        while data := pipe.read(65536):
            got.extend(data)


def test_the_copy_for_a_file_system_without_splice_gives_the_same_bytes(tmp_path: Path) -> None:
    data = os.urandom(3_000_000)
    path = tmp_path / "c.bin"
    path.write_bytes(os.urandom(JUNK) + data)
    read_end, write_end = os.pipe()
    got = bytearray()
    reader = threading.Thread(target=read_pipe, args=(read_end, got))
    reader.start()
    fd = os.open(path, os.O_RDONLY)
    try:
        copy_span(FileSpan(fd, JUNK, len(data)), write_end)
        with pytest.raises(DecryptionFailed, match="cut short"):
            copy_span(FileSpan(fd, JUNK, len(data) + 1), write_end)
    finally:
        os.close(fd)
        os.close(write_end)
        reader.join()
    assert bytes(got[: len(data)]) == data
    assert bytes(got[len(data) : 2 * len(data)]) == data  # the cut one, up to where it ends


def test_a_bundle_entry_is_spliced_into_gpg_and_a_damaged_one_fails_alone(
    newsroom: Instance, reader: ReaderMachine, vault: Vault, tmp_path: Path
) -> None:
    content = os.urandom(LARGE)
    designation = submit(newsroom, "message one", [(content, "large.bin")])
    bundle = download(newsroom, designation, tmp_path / "b.zip")
    with open_carrier(bundle) as carrier:
        assert carrier.kind == "bundle"
        assert all(item.spans is not None for item in carrier.items)
        label = carrier.items[1].label
    with zipfile.ZipFile(bundle) as archive:
        info = archive.infolist()[1]  # the file
    data = bytearray(bundle.read_bytes())
    data[data_start(bundle, info) + LARGE // 2] ^= 0x01
    damaged = tmp_path / "damaged.zip"
    damaged.write_bytes(bytes(data))

    report = vault.import_path(damaged, reader.keyring, PASSPHRASE)
    assert [(o.status, o.reason) for o in report.outcomes] == [
        ("imported", ""),
        ("failed", f"{label} is damaged in this bundle."),
    ]
    assert list((reader.vault_dir / "tmp").iterdir()) == []
    assert len(vault.conversation(designation)) == 1

    report = vault.import_path(bundle, reader.keyring, PASSPHRASE)
    assert [o.status for o in report.outcomes] == ["duplicate", "imported"]
    [_, filed] = vault.conversation(designation)
    assert filed.path.read_bytes() == content


def early_syncs() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "early-sync"]


def test_a_large_plaintext_is_synced_while_written_and_filed_whole(
    reader: ReaderMachine, vault: Vault, reader_key: KeyTemplate, tmp_path: Path
) -> None:
    # 80 MiB of zeros, a small ciphertext: the vault's file is synced early at 64 MiB.
    plain = b"\x00" * (80 << 20)
    sealed = encrypt_to(reader_key.public, gzipped(plain, "zeros.bin"))
    folder = write_files(tmp_path / "c", {"amber heron/1-amber-heron-doc.gz.gpg": sealed})

    report = vault.import_path(folder, reader.keyring, PASSPHRASE)

    assert [o.status for o in report.outcomes] == ["imported"]
    [filed] = vault.conversation("amber heron")
    assert filed.path.stat().st_size == len(plain)
    assert filed.path.read_bytes() == plain
    assert early_syncs() == []  # stopped before the file was closed


def test_a_large_plaintext_cut_short_leaves_nothing_and_no_sync_thread(
    reader: ReaderMachine, vault: Vault, reader_key: KeyTemplate, tmp_path: Path
) -> None:
    gz = gzipped(b"\x00" * (80 << 20), "zeros.bin")
    sealed = encrypt_to(reader_key.public, gz[:-4])  # the gzip trailer's size cut off
    folder = write_files(tmp_path / "c", {"amber heron/1-amber-heron-doc.gz.gpg": sealed})

    report = vault.import_path(folder, reader.keyring, PASSPHRASE)

    assert [(o.status, o.reason) for o in report.outcomes] == [
        ("failed", "the file inside is damaged (the gzip member is cut short)")
    ]
    assert reader.vault_files() == []
    assert early_syncs() == []
