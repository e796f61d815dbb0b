"""Bundle.spans(): where an entry's checked bytes lie, for gpg to read them without a copy.

The same checks as chunks(), with the same messages: a damaged entry is "damaged", a forged one
"not the file the bundle's manifest describes", and its last piece is never given.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sealdrop.bundle.reader import Bundle, Span, open_bundle
from sealdrop.errors import BundleInvalid
from tests.sealdrop.bundle.helpers import forge, items_on_disk, members_of, write_bundle

PIECE = 1 << 18  # small pieces, so a 2.5 MB entry comes in many


def read_spans(bundle: Bundle, spans: list[Span]) -> bytes:
    return b"".join(os.pread(bundle.fileno(), span.length, span.offset) for span in spans)


def given_before_error(bundle: Bundle, index: int) -> tuple[list[Span], BundleInvalid]:
    """The spans given for entry `index` before the error it ends with."""
    given: list[Span] = []
    with pytest.raises(BundleInvalid) as caught:
        given.extend(bundle.spans(bundle.entries[index], PIECE))
    return given, caught.value


def test_spans_hold_exactly_the_bytes_chunks_gives(tmp_path: Path) -> None:
    bundle_path = write_bundle(tmp_path / "b.zip", items_on_disk(tmp_path))
    with open_bundle(bundle_path) as bundle:
        sizes = []
        for entry in bundle.entries:
            spans = list(bundle.spans(entry, PIECE))
            assert read_spans(bundle, spans) == b"".join(bundle.chunks(entry))
            assert sum(span.length for span in spans) == entry.size
            assert all(0 < span.length <= PIECE for span in spans)
            sizes.append(entry.size)
        assert 0 in sizes and max(sizes) > 8 * PIECE  # an empty entry and a many-piece one


def test_a_flipped_byte_is_damage_and_its_last_piece_is_never_given(tmp_path: Path) -> None:
    bundle_path = write_bundle(tmp_path / "b.zip", items_on_disk(tmp_path))
    with open_bundle(bundle_path) as bundle:
        index = max(range(len(bundle.entries)), key=lambda i: bundle.entries[i].size)
        [entry_start] = [s.offset for s in list(bundle.spans(bundle.entries[index], PIECE))[:1]]
    data = bytearray(bundle_path.read_bytes())
    data[entry_start + 3 * PIECE + 5] ^= 0x01  # the CRC fails as well as the SHA-256
    bundle_path.write_bytes(data)

    with open_bundle(bundle_path) as bundle:
        entry = bundle.entries[index]
        given, error = given_before_error(bundle, index)
        assert str(error) == f"{entry.path} is damaged in this bundle."
        with pytest.raises(BundleInvalid) as by_chunks:
            b"".join(bundle.chunks(entry))
        assert str(by_chunks.value) == str(error)  # the same message either way
        assert sum(span.length for span in given) < entry.size


def test_other_bytes_with_their_own_crc_are_not_the_manifests_file(tmp_path: Path) -> None:
    members, manifest = members_of(write_bundle(tmp_path / "b.zip", items_on_disk(tmp_path)))
    entries: list[dict[str, object]] = manifest["entries"]  # type: ignore[assignment]
    index = max(range(len(entries)), key=lambda i: int(str(entries[i]["size"])))
    name = str(entries[index]["path"])
    changed = {**members, name: os.urandom(len(members[name]))}  # zipfile writes a right CRC
    bundle_path = forge(tmp_path / "f.zip", changed.items(), manifest)

    with open_bundle(bundle_path) as bundle:
        given, error = given_before_error(bundle, index)
        assert str(error) == f"{name} is not the file the bundle's manifest describes."
        assert sum(span.length for span in given) < len(members[name])


def test_a_bundle_cut_while_it_is_read_is_damaged(tmp_path: Path) -> None:
    bundle_path = write_bundle(tmp_path / "b.zip", items_on_disk(tmp_path))
    with open_bundle(bundle_path) as bundle:
        index = max(range(len(bundle.entries)), key=lambda i: bundle.entries[i].size)
        entry = bundle.entries[index]
        spans = bundle.spans(entry, PIECE)
        first = next(spans)
        os.truncate(bundle_path, first.offset + 2 * PIECE)  # cut after the checks of opening
        given = [first]
        with pytest.raises(BundleInvalid) as caught:
            given.extend(spans)
        assert str(caught.value) == f"{entry.path} is damaged in this bundle."
        assert sum(span.length for span in given) < entry.size


def test_spans_of_an_entry_of_another_bundle_are_refused(tmp_path: Path) -> None:
    one = write_bundle(tmp_path / "one.zip", items_on_disk(tmp_path))
    other = write_bundle(tmp_path / "other.zip", items_on_disk(tmp_path))
    with (
        open_bundle(one) as first,
        open_bundle(other) as second,
        pytest.raises(ValueError, match="not one of this bundle's"),
    ):
        next(first.spans(second.entries[0]))
