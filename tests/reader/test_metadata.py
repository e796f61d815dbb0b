"""Metadata reports and cleaned copies through the real mat2 in its worker process."""

from __future__ import annotations

import hashlib
import os
import struct
import sys
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from reader import metadata
from reader.metadata import Limits, Problem
from tests.reader import samples
from tests.reader.samples import AUTHOR

Maker = Callable[[Path], Path]

# Each format with the metadata key under which mat2 reports the author we put in.
FORMATS: list[tuple[str, Maker, str]] = [
    ("photo.png", samples.png, "Author"),
    ("photo.jpg", samples.jpeg, "Artist"),
    ("minutes.pdf", samples.pdf, "author"),
    ("minutes.docx", samples.docx, "dc:creator"),
    ("minutes.odt", samples.odt, "meta:initial-creator"),
]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def authors(report: metadata.MetadataReport) -> list[str]:
    return [finding.value for finding in report.findings if finding.value == AUTHOR]


@pytest.mark.slow  # three mat2 processes per format: a second each, more on a busy machine
@pytest.mark.parametrize(("name", "make", "key"), FORMATS, ids=[f[0] for f in FORMATS])
def test_each_format_reports_its_author_and_cleans_it_away(
    tmp_path: Path, name: str, make: Maker, key: str
) -> None:
    original = make(tmp_path / name)
    before = digest(original)

    found = metadata.report(original)
    assert found.problem is None, found.sentence
    assert any(f.key == key and f.value == AUTHOR for f in found.findings), found.findings
    assert "metadata field" in found.sentence

    cleaned = metadata.clean(original, tmp_path / f"cleaned-{name}")
    assert cleaned.cleaned, cleaned.sentence
    assert (cleaned.destination.stat().st_mode & 0o777) == 0o600
    assert authors(metadata.report(cleaned.destination)) == []
    assert digest(original) == before  # the original is only ever read
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([name, f"cleaned-{name}"])


def test_a_text_file_is_supported_and_has_no_metadata(tmp_path: Path) -> None:
    note = tmp_path / "note.txt"
    note.write_text("Meet at noon.\n")
    found = metadata.report(note)
    assert (found.problem, found.mime_type, found.findings) == (None, "text/plain", ())
    assert found.sentence == "mat2 found no metadata in this file."
    assert metadata.clean(note, tmp_path / "clean.txt").cleaned


def test_an_unknown_binary_is_reported_as_unknown_and_gets_no_cleaned_copy(
    tmp_path: Path,
) -> None:
    blob = tmp_path / "blob.bin"
    blob.write_bytes(os.urandom(4096))
    found = metadata.report(blob)
    assert found.problem is Problem.UNSUPPORTED
    assert found.sentence.startswith("Unknown format: mat2 cannot read")
    result = metadata.clean(blob, tmp_path / "clean.bin")
    assert not result.cleaned
    assert result.outcome.problem is Problem.UNSUPPORTED
    assert not (tmp_path / "clean.bin").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["blob.bin"]  # no work directory left


def test_the_stored_name_need_not_carry_the_type(tmp_path: Path) -> None:
    stored = samples.pdf(tmp_path / "3-doc")  # a vault's own name, no extension
    assert metadata.report(stored).problem is Problem.UNSUPPORTED
    found = metadata.report(stored, type_name="../../Minutes (final).PDF")
    assert found.problem is None
    assert authors(found) == [AUTHOR]


def test_a_truncated_png_is_a_clear_problem(tmp_path: Path) -> None:
    whole = samples.png(tmp_path / "whole.png").read_bytes()
    truncated = tmp_path / "truncated.png"
    truncated.write_bytes(whole[:60])
    found = metadata.report(truncated)
    assert found.problem is Problem.MALFORMED
    assert found.mime_type == "image/png"
    assert "damaged, truncated or not what its name says" in found.sentence
    assert not metadata.clean(truncated, tmp_path / "clean.png").cleaned
    assert not (tmp_path / "clean.png").exists()


def test_a_file_that_is_not_what_its_name_says(tmp_path: Path) -> None:
    liar = tmp_path / "invoice.pdf"
    liar.write_bytes(b"MZ\x90\x00" + os.urandom(2000))  # a Windows program's first bytes
    assert metadata.report(liar).problem is Problem.MALFORMED


def test_a_zero_byte_file_is_empty_not_an_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty.png"
    empty.touch()
    found = metadata.report(empty)
    assert found.problem is Problem.EMPTY
    assert metadata.clean(empty, tmp_path / "clean.png").outcome.problem is Problem.EMPTY


def test_a_huge_file_is_refused_before_any_parser_sees_it(tmp_path: Path) -> None:
    huge = tmp_path / "huge.pdf"
    with huge.open("wb") as handle:  # sparse: 3 GiB that take no room
        handle.truncate(3 * 1024**3)
    found = metadata.report(huge)
    assert found.problem is Problem.TOO_LARGE
    assert "2048 MiB" in found.sentence
    small_limit = Limits(max_input_bytes=100)
    assert metadata.report(samples.pdf(tmp_path / "a.pdf"), limits=small_limit).problem is (
        Problem.TOO_LARGE
    )


def test_a_png_announcing_a_vast_image_stays_within_the_memory_limit(tmp_path: Path) -> None:
    bomb = bytearray(samples.png(tmp_path / "bomb.png").read_bytes())
    bomb[16:24] = struct.pack(">II", 30000, 30000)  # 3.6 GB of pixels, a few bytes of data
    bomb[29:33] = struct.pack(">I", zlib.crc32(bytes(bomb[12:29])))
    (tmp_path / "bomb.png").write_bytes(bytes(bomb))
    found = metadata.report(tmp_path / "bomb.png")
    assert found.problem in {Problem.MALFORMED, Problem.TOO_DEMANDING, Problem.CRASHED}
    assert not metadata.clean(tmp_path / "bomb.png", tmp_path / "clean.png").cleaned


def test_a_parser_that_runs_too_long_is_stopped(tmp_path: Path) -> None:
    found = metadata.report(samples.pdf(tmp_path / "a.pdf"), limits=Limits(timeout_seconds=0.01))
    assert found.problem is Problem.TIMED_OUT
    assert found.sentence == "Reading this file took longer than 0.01 seconds and was stopped."


def test_too_little_memory_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    limits = Limits(memory_bytes=30 * 1024 * 1024)  # too little to even load mat2's libraries
    found = metadata.report(samples.jpeg(tmp_path / "a.jpg"), limits=limits)
    assert found.problem in {Problem.UNAVAILABLE, Problem.TOO_DEMANDING, Problem.CRASHED}
    assert found.sentence


def test_without_mat2_the_report_says_so(tmp_path: Path) -> None:
    # The venv's interpreter has no libmat2, as a machine without Debian's package would not.
    found = metadata.report(
        samples.jpeg(tmp_path / "a.jpg"), limits=Limits(python=Path(sys.executable))
    )
    assert found.problem is Problem.UNAVAILABLE
    assert "No module named 'libmat2'" in found.outcome.detail
    missing = Limits(python=tmp_path / "no-python")
    assert metadata.report(tmp_path / "a.jpg", limits=missing).problem is Problem.UNAVAILABLE


def test_what_is_not_a_regular_file_is_not_inspected(tmp_path: Path) -> None:
    assert metadata.report(tmp_path).problem is Problem.NOT_A_FILE
    assert metadata.report(tmp_path / "absent.pdf").problem is Problem.NOT_A_FILE


def test_clean_never_overwrites(tmp_path: Path) -> None:
    original = samples.pdf(tmp_path / "a.pdf")
    before = digest(original)
    existing = tmp_path / "b.pdf"
    existing.write_bytes(b"keep me")
    assert metadata.clean(original, existing).outcome.problem is Problem.DESTINATION_EXISTS
    assert existing.read_bytes() == b"keep me"
    # not even with replace=True when the destination is the original itself
    same = metadata.clean(original, original, replace=True)
    assert same.outcome.problem is Problem.DESTINATION_EXISTS
    assert digest(original) == before


def test_metadata_values_are_bounded(tmp_path: Path) -> None:
    found = metadata.report(samples.png(tmp_path / "long.png", author="A" * 5000))
    (value,) = [f.value for f in found.findings if f.key == "Author"]
    assert len(value) == 1000
    assert value.endswith("…")
