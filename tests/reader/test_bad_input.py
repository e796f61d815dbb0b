"""Hostile or damaged input: one clear line per entry, the good entries imported, nothing harmed."""

from __future__ import annotations

import os
import stat
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from reader.vault import ImportReport, Vault
from sealdrop.errors import KeyPassphraseWrong
from sealdrop.runtime.instance import Instance
from tests.reader.helpers import (
    PASSPHRASE,
    KeyTemplate,
    ReaderMachine,
    download,
    encrypt_to,
    gzipped,
    other_public_key,
    snapshot,
    submit,
    write_files,
)

GOOD = "amber heron/1-amber-heron-msg.gpg"


@pytest.fixture
def vault(reader: ReaderMachine) -> Iterator[Vault]:
    with reader.vault() as opened:
        yield opened


@pytest.fixture
def earlier(newsroom: Instance, reader: ReaderMachine, vault: Vault, tmp_path: Path) -> str:
    """A source already in the vault before the bad input arrives; its designation."""
    designation = submit(newsroom, "kept safe", [(b"kept file", "kept.txt")])
    report = vault.import_path(
        download(newsroom, designation, tmp_path / "first.zip"), reader.keyring, PASSPHRASE
    )
    assert report.count("imported") == 2
    return designation


def outcomes(report: ImportReport) -> dict[str, tuple[str, str]]:
    return {o.label: (o.status, o.reason) for o in report.outcomes}


def test_damaged_and_foreign_ciphertexts_fail_alone(
    reader: ReaderMachine, vault: Vault, reader_key: KeyTemplate, earlier: str, tmp_path: Path
) -> None:
    before = snapshot(reader)
    good = encrypt_to(reader_key.public, b"good one")
    damaged = bytearray(encrypt_to(reader_key.public, os.urandom(5000)))
    damaged[len(damaged) // 2] ^= 0xFF
    folder = write_files(
        tmp_path / "carried",
        {
            GOOD: good,
            "amber heron/2-amber-heron-msg.gpg": bytes(damaged),
            "amber heron/3-amber-heron-msg.gpg": encrypt_to(other_public_key(), b"not ours"),
            "amber heron/4-amber-heron-msg.gpg": b"this is not OpenPGP at all",
            "amber heron/5-amber-heron-msg.gpg": good[: len(good) // 2],
            "amber heron/6-amber-heron-doc.gz.gpg": encrypt_to(
                reader_key.public, b"plain text, not gzip"
            ),
            "amber heron/notes.txt": b"hello",
        },
    )
    report = vault.import_path(folder, reader.keyring, PASSPHRASE)

    got = outcomes(report)
    assert got[GOOD] == ("imported", "")
    assert got["amber heron/2-amber-heron-msg.gpg"][1].startswith("it is damaged")
    assert got["amber heron/3-amber-heron-msg.gpg"] == (
        "failed", "it is encrypted to another key, not this reader's Submission Key",
    )  # fmt: skip
    assert got["amber heron/4-amber-heron-msg.gpg"][1].startswith("it is not an OpenPGP message")
    # Cut short: gpg finds either no whole packet or an unfinished one.
    assert got["amber heron/5-amber-heron-msg.gpg"][1] in {
        "it is damaged or cut short (gpg could not finish decrypting it)",
        "it is not an OpenPGP message (damaged, or not a submission)",
    }
    assert got["amber heron/6-amber-heron-doc.gz.gpg"] == (
        "failed", "the file inside is damaged (not gzip data)",
    )  # fmt: skip
    assert got["amber heron/notes.txt"][1].startswith("not a SecureDrop item name")
    assert [i.text() for i in vault.conversation("amber heron")] == ["good one"]
    # Nothing that failed left a file, and what was there before is untouched.
    after = snapshot(reader)
    assert {k: v for k, v in after.items() if k in before} == before
    assert len(after) == len(before) + 1
    assert list((reader.vault_dir / "tmp").iterdir()) == []
    assert len(vault.conversation(earlier)) == 2


def test_a_damaged_entry_of_a_bundle_fails_and_the_rest_is_imported(
    newsroom: Instance, reader: ReaderMachine, vault: Vault, tmp_path: Path
) -> None:
    designation = submit(newsroom, "message one", [(os.urandom(50_000), "z.bin")])
    bundle = download(newsroom, designation, tmp_path / "b.zip")
    with zipfile.ZipFile(bundle) as archive:
        info = archive.infolist()[1]  # the file
    data = bytearray(bundle.read_bytes())
    data[info.header_offset + 30 + len(info.orig_filename) + 1000] ^= 0x01
    bundle.write_bytes(bytes(data))

    report = vault.import_path(bundle, reader.keyring, PASSPHRASE)

    statuses = [(o.status, o.reason) for o in report.outcomes]
    assert statuses[0] == ("imported", "")
    assert statuses[1][0] == "failed"
    assert "damaged in this bundle" in statuses[1][1] or "not the file" in statuses[1][1]
    assert [i.number for i in vault.conversation(designation)] == [1]
    assert list((reader.vault_dir / "tmp").iterdir()) == []


def zip_with(path: Path, entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for info, data in entries:
            archive.writestr(info, data)
    return path


def test_hostile_zip_entries_are_refused_one_by_one(
    reader: ReaderMachine, vault: Vault, reader_key: KeyTemplate, tmp_path: Path
) -> None:
    good = encrypt_to(reader_key.public, b"from the zip")
    link = zipfile.ZipInfo("amber heron/3-amber-heron-msg.gpg")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    bomb = zipfile.ZipInfo("amber heron/4-amber-heron-doc.gz.gpg")
    bomb.compress_type = zipfile.ZIP_DEFLATED
    archive = zip_with(
        tmp_path / "export.zip",
        [
            (GOOD, good),
            ("../2-amber-heron-msg.gpg", good),
            ("/tmp/2-amber-heron-msg.gpg", good),
            ("amber heron/../../2-amber-heron-msg.gpg", good),
            (link, b"/etc/shadow"),
            (bomb, b"\x00" * (60 << 20)),
        ],
    )
    report = vault.import_path(archive, reader.keyring, PASSPHRASE)

    got = outcomes(report)
    assert got["amber heron/1-amber-heron-msg.gpg"] == ("imported", "")
    assert "path traversal" in got["../2-amber-heron-msg.gpg"][1]
    assert "absolute path" in got["/tmp/2-amber-heron-msg.gpg"][1]
    assert "path traversal" in got["amber heron/../../2-amber-heron-msg.gpg"][1]
    assert "symbolic link" in got["amber heron/3-amber-heron-msg.gpg"][1]
    assert got["amber heron/4-amber-heron-doc.gz.gpg"] == (
        "failed", "it inflates far beyond its size (a zip bomb); refused",
    )  # fmt: skip
    assert reader.vault_files() == ["sources/amber-heron/0001-message.txt"]
    assert not (tmp_path / "2-amber-heron-msg.gpg").exists()


def test_links_in_a_folder_are_never_followed(
    reader: ReaderMachine, vault: Vault, reader_key: KeyTemplate, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    write_files(outside, {"1-amber-heron-msg.gpg": encrypt_to(reader_key.public, b"outside")})
    carried = tmp_path / "carried"
    (carried / "amber heron").mkdir(parents=True)
    (carried / "amber heron" / "1-amber-heron-msg.gpg").symlink_to(
        outside / "1-amber-heron-msg.gpg"
    )
    (carried / "linked").symlink_to(outside)

    report = vault.import_path(carried, reader.keyring, PASSPHRASE)

    assert {o.label: o.status for o in report.outcomes} == {
        "amber heron/1-amber-heron-msg.gpg": "failed",
        "linked": "failed",
    }
    assert all("symbolic link" in o.reason for o in report.outcomes)
    assert reader.vault_files() == []


def test_a_wrong_passphrase_stops_before_anything(
    newsroom: Instance, reader: ReaderMachine, vault: Vault, earlier: str, tmp_path: Path
) -> None:
    before = snapshot(reader)
    designation = submit(newsroom, "new", [])
    bundle = download(newsroom, designation, tmp_path / "b.zip")
    with pytest.raises(KeyPassphraseWrong, match=r"The key passphrase is wrong\."):
        vault.import_path(bundle, reader.keyring, "not the passphrase")  # type: ignore[arg-type]
    assert snapshot(reader) == before
    assert [s.designation for s in vault.sources()] == [earlier]


def test_an_oversized_item_is_refused_while_it_streams(
    reader: ReaderMachine, vault: Vault, reader_key: KeyTemplate, tmp_path: Path
) -> None:
    # A forged file whose gzip inflates to 30 MB of zeros, against a limit of 10 MB.
    sealed = encrypt_to(reader_key.public, gzipped(b"\x00" * (30 << 20), "zeros.bin"))
    folder = write_files(tmp_path / "c", {"amber heron/1-amber-heron-doc.gz.gpg": sealed})

    report = vault.import_path(folder, reader.keyring, PASSPHRASE, max_item_bytes=10 << 20)

    assert [(o.status, o.reason) for o in report.outcomes] == [
        ("failed", "it is larger than the reader's limit of 10485760 bytes; refused")
    ]
    assert reader.vault_files() == []
