"""Export to a folder under safe, never-reused names; the escaped display of untrusted names."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from reader import metadata
from reader.export import (
    ExportRefused,
    Variant,
    check_destination,
    export_cleaned,
    export_original,
    safe_name,
)
from tests.reader import samples
from tests.reader.samples import AUTHOR


@pytest.fixture
def drive(tmp_path: Path) -> Path:
    folder = tmp_path / "EXPORT"
    folder.mkdir()
    return folder


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    """Where the reader keeps plaintext, under its own names (no extension)."""
    folder = tmp_path / "vault"
    folder.mkdir(mode=0o700)
    return folder


@pytest.mark.parametrize(
    ("untrusted", "safe"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\alice\\Desktop\\leak.docx", "leak.docx"),
        (".bashrc", "bashrc"),
        ("...", "file"),
        ("", "file"),
        ("/", "file"),
        ("-rf .txt", "rf.txt"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),  # the override that shows "exe.pdf"
        ("a\x00b\nc\x1b[31m.txt", "ab c[31m.txt"),
        ("zero\u200bwidth.txt", "zerowidth.txt"),
        ("CON.txt", "_CON.txt"),
        ("nul", "_nul"),
        ("com1.tar.gz", "_com1.tar.gz"),
        ('what?*<>:"|.txt', "what_______.txt"),
        ("trailing dots. . .", "trailing dots"),
        ("tabs\tand  spaces.txt", "tabs and spaces.txt"),
        ("photo.JPEG", "photo.JPEG"),
        ("archive.tar.gz", "archive.tar.gz"),
        ("no extension. really", "no extension. really"),
    ],
)
def test_safe_names(untrusted: str, safe: str) -> None:
    assert safe_name(untrusted) == safe


def test_a_long_name_keeps_its_extension_and_fits() -> None:
    name = safe_name("é" * 300 + ".pdf")
    assert name.endswith(".pdf")
    assert len(name.encode()) <= 200
    assert name.startswith("é")  # cut on a character boundary, not inside one


def test_export_cleaned_writes_a_clean_0600_copy_and_leaves_the_original(
    vault: Path, drive: Path
) -> None:
    stored = samples.pdf(vault / "1-doc")
    before = hashlib.sha256(stored.read_bytes()).digest()
    done = export_cleaned(stored, name="../Minutes of\u202e the board.pdf", folder=drive)
    assert done.variant is Variant.CLEANED
    assert done.destination == drive / "Minutes of the board.pdf"
    assert (done.destination.stat().st_mode & 0o777) == 0o600
    found = metadata.report(done.destination)
    assert found.problem is None
    assert AUTHOR not in {f.value for f in found.findings}
    assert hashlib.sha256(stored.read_bytes()).digest() == before
    assert [p.name for p in drive.iterdir()] == ["Minutes of the board.pdf"]


def test_exports_never_overwrite(vault: Path, drive: Path) -> None:
    stored = samples.png(vault / "2-doc")
    (drive / "photo.png").write_bytes(b"already here")
    first = export_cleaned(stored, name="photo.png", folder=drive)
    second = export_original(stored, name="photo.png", folder=drive)
    third = export_original(stored, name="/other/photo.png", folder=drive)
    assert [first.destination.name, second.destination.name, third.destination.name] == [
        "photo (2).png",
        "photo (3).png",
        "photo (4).png",
    ]
    assert (drive / "photo.png").read_bytes() == b"already here"
    assert second.destination.read_bytes() == stored.read_bytes()
    assert second.variant is Variant.ORIGINAL


def test_export_original_copies_exactly_with_its_metadata(vault: Path, drive: Path) -> None:
    stored = samples.jpeg(vault / "3-doc")
    done = export_original(stored, name="IMG_0001.jpg", folder=drive)
    assert done.destination.read_bytes() == stored.read_bytes()
    assert (done.destination.stat().st_mode & 0o777) == 0o600
    assert AUTHOR in {f.value for f in metadata.report(done.destination).findings}


def test_a_format_mat2_cannot_clean_is_refused_and_leaves_nothing(vault: Path, drive: Path) -> None:
    stored = vault / "4-doc"
    stored.write_bytes(os.urandom(1000))
    with pytest.raises(ExportRefused) as refused:
        export_cleaned(stored, name="data.bin", folder=drive)
    assert str(refused.value).startswith("No cleaned copy of data.bin: Unknown format")
    assert list(drive.iterdir()) == []


def test_a_damaged_file_is_refused_and_leaves_nothing(vault: Path, drive: Path) -> None:
    stored = vault / "5-doc"
    stored.write_bytes(samples.png(vault / "x").read_bytes()[:50])
    with pytest.raises(ExportRefused, match="damaged, truncated"):
        export_cleaned(stored, name="photo.png", folder=drive)
    assert list(drive.iterdir()) == []


def test_destinations_that_cannot_take_the_export(tmp_path: Path, vault: Path) -> None:
    stored = samples.pdf(vault / "6-doc")
    with pytest.raises(ExportRefused, match="does not exist; is the drive plugged in"):
        export_original(stored, name="a.pdf", folder=tmp_path / "unplugged")
    with pytest.raises(ExportRefused, match="is not a folder"):
        export_cleaned(stored, name="a.pdf", folder=stored)
    assert check_destination(tmp_path) == tmp_path


def test_a_missing_original_is_a_clear_refusal(vault: Path, drive: Path) -> None:
    with pytest.raises(ExportRefused, match=r"Could not export gone\.pdf: No such file"):
        export_original(vault / "gone", name="gone.pdf", folder=drive)
    assert list(drive.iterdir()) == []


def test_a_symlink_planted_in_the_folder_is_not_followed(
    tmp_path: Path, vault: Path, drive: Path
) -> None:
    victim = tmp_path / "victim"
    victim.write_bytes(b"precious")
    (drive / "a.pdf").symlink_to(victim)
    done = export_original(samples.pdf(vault / "8-doc"), name="a.pdf", folder=drive)
    assert done.destination.name == "a (2).pdf"
    assert victim.read_bytes() == b"precious"
