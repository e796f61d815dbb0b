"""A bundle or zip cut short: its whole entries imported, each cut or bad entry named, "partial"."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path
from typing import IO, cast

import pytest

from reader.cli import EXIT_PARTIAL, main
from reader.vault import ImportReport, Vault
from sealdrop.runtime.instance import Instance
from tests.reader.helpers import (
    PASSPHRASE,
    KeyTemplate,
    ReaderMachine,
    data_start,
    download,
    encrypt_to,
    reply,
    submit,
)

MESSAGE = "the ledger is in the drawer"
LEDGER = os.urandom(200_000)
NOTES = os.urandom(6000)  # incompressible: its ciphertext is some 6 KB
CUT = "cut short: the file ends inside this entry"
NO_MANIFEST = (
    "it is cut short (its zip directory is missing, and no bundle manifest survived); its whole "
    "entries were checked by their own CRC only"
)
MANIFEST_CUT = (
    "it is cut short, its manifest with it; its whole entries were checked by their own CRC only"
)
WITH_MANIFEST = (
    "it is cut short (its zip directory is missing); its whole entries were checked against its "
    "manifest"
)


def cut(path: Path, at: int, to: Path) -> Path:
    to.write_bytes(path.read_bytes()[:at])
    return to


def statuses(report: ImportReport) -> dict[str, tuple[str, str]]:
    return {o.label: (o.status, o.reason) for o in report.outcomes}


@pytest.fixture
def sent(newsroom: Instance, reader_key: KeyTemplate, tmp_path: Path) -> tuple[str, Path]:
    """A source's message, two files and a reply, in a bundle the server made."""
    designation = submit(newsroom, MESSAGE, [(LEDGER, "ledger.pdf"), (NOTES, "notes.txt")])
    reply(newsroom, designation, "Received.", [reader_key.key])
    return designation, download(newsroom, designation, tmp_path / "full.zip")


def test_a_cut_bundle_imports_its_whole_entries_wherever_it_was_cut(
    reader: ReaderMachine, sent: tuple[str, Path], tmp_path: Path
) -> None:
    designation, full = sent
    with zipfile.ZipFile(full) as archive:
        infos = archive.infolist()
        directory = archive.start_dir
    labels = [info.filename for info in infos]
    assert labels[-1] == "manifest.json" and len(labels) == 5
    # Where the cut is: what the reader imports, which entries it names, and its partial line.
    cuts = {
        "inside the first entry": (data_start(full, infos[0]) + 10, [], [0], NO_MANIFEST),
        "between two entries": (infos[2].header_offset, [1, 2], [], NO_MANIFEST),
        "inside the third entry": (data_start(full, infos[2]) + 100, [1, 2], [2], NO_MANIFEST),
        "inside the manifest": (data_start(full, infos[4]) + 20, [1, 2, 3, 4], [4], MANIFEST_CUT),
        "inside the directory": (directory + 50, [1, 2, 3, 4], [], WITH_MANIFEST),
    }
    for n, (where, (at, imported, named, partial)) in enumerate(cuts.items()):
        with Vault.open(tmp_path / f"vault-{n}") as vault:
            report = vault.import_path(
                cut(full, at, tmp_path / f"cut-{n}.zip"), reader.keyring, PASSPHRASE
            )
            assert (report.refused, report.partial) == (None, partial), where
            got = statuses(report)
            assert [k for k, (s, _) in got.items() if s == "failed"] == [
                labels[i] for i in named
            ], where
            assert all(got[labels[i]][1] == CUT for i in named), where
            assert [k for k, (s, _) in got.items() if s == "imported"] == [
                labels[i - 1] for i in imported
            ], where
            items = {i.number: i for i in vault.conversation(designation)} if imported else {}
            assert sorted(items) == imported, where
            expected = {1: MESSAGE.encode(), 2: LEDGER, 3: NOTES, 4: b"Received."}
            assert all(items[n].path.read_bytes() == expected[n] for n in items), where
            assert list((vault.root / "tmp").iterdir()) == []

            again = vault.import_path(full, reader.keyring, PASSPHRASE)
            assert (again.refused, again.partial) == (None, None)
            assert [o.status for o in again.outcomes] == [
                "duplicate" if n in imported else "imported" for n in (1, 2, 3, 4)
            ], where
            whole = vault.conversation(designation)
            assert [i.path.read_bytes() for i in whole] == list(expected.values()), where


def test_a_damaged_entry_of_a_cut_bundle_fails_alone(
    reader: ReaderMachine, sent: tuple[str, Path], tmp_path: Path
) -> None:
    designation, full = sent
    with zipfile.ZipFile(full) as archive:
        infos = archive.infolist()
        directory = archive.start_dir
    data = bytearray(full.read_bytes()[: directory + 10])
    data[data_start(full, infos[1]) + 1234] ^= 0x01  # the ledger's ciphertext
    damaged = tmp_path / "damaged.zip"
    damaged.write_bytes(bytes(data))
    with Vault.open(reader.vault_dir) as vault:
        report = vault.import_path(damaged, reader.keyring, PASSPHRASE)
        got = statuses(report)
        # The entry's last piece is held back until its CRC is checked, so that check names it.
        assert got[infos[1].filename] == (
            "failed", "the zip entry is damaged (its CRC does not match its bytes)",
        )  # fmt: skip
        assert [i.number for i in vault.conversation(designation)] == [1, 3, 4]
        assert report.partial == WITH_MANIFEST


def plain_zip(path: Path, entries: list[tuple[str, bytes]], *, streamed: bool = False) -> Path:
    """A zip as other tools make one: deflated, sizes in its headers, or streamed (sizes in
    data descriptors after each entry, as a zip written to a pipe has them)."""

    class Pipe:
        def __init__(self) -> None:
            self.data = bytearray()

        def write(self, data: bytes) -> int:
            self.data += data
            return len(data)

        def flush(self) -> None:
            pass

    sink = Pipe()
    target: Path | IO[bytes] = cast(IO[bytes], sink) if streamed else path
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    if streamed:
        path.write_bytes(bytes(sink.data))
    return path


@pytest.mark.parametrize("streamed", [False, True], ids=["sizes-in-headers", "streamed"])
def test_a_cut_plain_zip_imports_its_whole_entries(
    reader: ReaderMachine, reader_key: KeyTemplate, tmp_path: Path, streamed: bool
) -> None:
    names = [f"amber heron/{n}-amber-heron-msg.gpg" for n in (1, 2, 3)]
    texts = [b"first", b"second", b"third"]
    full = plain_zip(
        tmp_path / "export.zip",
        [
            (name, encrypt_to(reader_key.public, text))
            for name, text in zip(names, texts, strict=True)
        ],
        streamed=streamed,
    )
    with zipfile.ZipFile(full) as archive:
        infos = archive.infolist()
        directory = archive.start_dir
    cuts = {
        "inside the first entry": (data_start(full, infos[0]) + 3, [], [names[0]]),
        "between two entries": (infos[1].header_offset, [1], []),
        "inside the second entry's header": (infos[1].header_offset + 12, [1], ["(byte"]),
        "inside the directory": (directory + 10, [1, 2, 3], []),
    }
    for n, (where, (at, imported, named)) in enumerate(cuts.items()):
        with Vault.open(tmp_path / f"vault-{n}") as vault:
            report = vault.import_path(
                cut(full, at, tmp_path / f"cut-{n}.zip"), reader.keyring, PASSPHRASE
            )
            assert report.partial == NO_MANIFEST, where
            failed = [o.label for o in report.outcomes if o.status == "failed"]
            assert [
                label[: len(want)] for label, want in zip(failed, named, strict=False)
            ] == named, where
            assert len(failed) == len(named), where
            conversation = vault.conversation("amber heron") if imported else []
            assert [i.text().encode() for i in conversation] == [texts[i - 1] for i in imported]
            again = vault.import_path(full, reader.keyring, PASSPHRASE)
            assert again.count("imported") == 3 - len(imported), where


def test_a_cut_zip_keeps_its_path_and_bomb_refusals(
    reader: ReaderMachine, reader_key: KeyTemplate, tmp_path: Path
) -> None:
    good = encrypt_to(reader_key.public, b"from the zip")
    entries = [
        ("amber heron/1-amber-heron-msg.gpg", good),
        ("../2-amber-heron-msg.gpg", good),
        ("/tmp/2-amber-heron-msg.gpg", good),
        ("amber heron/4-amber-heron-doc.gz.gpg", b"\x00" * (60 << 20)),
        ("amber heron/5-amber-heron-msg.gpg", good),
    ]
    full = plain_zip(tmp_path / "hostile.zip", entries)
    with zipfile.ZipFile(full) as archive:
        directory = archive.start_dir
    with reader.vault() as vault:
        report = vault.import_path(
            cut(full, directory + 30, tmp_path / "cut.zip"), reader.keyring, PASSPHRASE
        )
    got = statuses(report)
    assert got["amber heron/1-amber-heron-msg.gpg"] == ("imported", "")
    assert "path traversal" in got["../2-amber-heron-msg.gpg"][1]
    assert "absolute path" in got["/tmp/2-amber-heron-msg.gpg"][1]
    assert got["amber heron/4-amber-heron-doc.gz.gpg"] == (
        "failed", "it inflates far beyond its size (a zip bomb); refused",
    )  # fmt: skip
    assert got["amber heron/5-amber-heron-msg.gpg"][0] == "duplicate"  # same ciphertext as 1
    assert reader.vault_files() == ["sources/amber-heron/0001-message.txt"]
    assert not (tmp_path / "2-amber-heron-msg.gpg").exists()


def test_a_streamed_bomb_stops_the_walk_before_it_inflates(
    reader: ReaderMachine, reader_key: KeyTemplate, tmp_path: Path
) -> None:
    good = encrypt_to(reader_key.public, b"before the bomb")
    full = plain_zip(
        tmp_path / "bomb.zip",
        [
            ("amber heron/1-amber-heron-msg.gpg", good),
            ("amber heron/2-amber-heron-doc.gz.gpg", b"\x00" * (60 << 20)),
            ("amber heron/3-amber-heron-msg.gpg", good),
        ],
        streamed=True,
    )
    with reader.vault() as vault:
        report = vault.import_path(
            cut(full, full.stat().st_size - 10, tmp_path / "cut.zip"), reader.keyring, PASSPHRASE
        )
    got = statuses(report)
    assert got["amber heron/1-amber-heron-msg.gpg"] == ("imported", "")
    assert got["amber heron/2-amber-heron-doc.gz.gpg"] == (
        "failed",
        "it inflates far beyond its size (a zip bomb); refused, and nothing after it is read",
    )
    assert "amber heron/3-amber-heron-msg.gpg" not in got


def test_a_file_that_is_no_zip_at_all_is_still_refused_whole(
    reader: ReaderMachine, tmp_path: Path
) -> None:
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"this was never a zip " * 100)
    with reader.vault() as vault:
        report = vault.import_path(junk, reader.keyring, PASSPHRASE)
    assert report.refused == "junk.zip is not a bundle or zip, or it is damaged or cut short."
    assert (report.outcomes, report.partial) == ([], None)


def test_the_command_names_each_cut_entry_and_exits_partial(
    reader: ReaderMachine,
    sent: tuple[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, full = sent
    with zipfile.ZipFile(full) as archive:
        first, second, third = archive.infolist()[:3]
    cut_bundle = cut(full, data_start(full, third) + 100, tmp_path / "cut.zip")
    secret = tmp_path / "passphrase"
    secret.write_text(PASSPHRASE + "\n")
    home = ["--home", str(reader.home), "--allow-network"]

    code = main([*home, "import", "--passphrase-file", str(secret), str(cut_bundle)])

    out = capsys.readouterr().out.splitlines()
    assert code == EXIT_PARTIAL == 3
    assert out == [
        f"failed    {third.filename}: {CUT}",
        f"imported  {first.filename}",
        f"imported  {second.filename}",
        f"partial   {cut_bundle}: {NO_MANIFEST}",
        f"{cut_bundle}: 2 imported, 0 already in the vault, 1 failed",
    ]
    code = main([*home, "import", "--passphrase-file", str(secret), str(full)])
    assert code == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        f"{full}: 2 imported, 2 already in the vault, 0 failed"
    )
