"""A hostile or damaged bundle is refused with one BundleInvalid, before anything is trusted."""

from __future__ import annotations

import copy
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sealdrop.bundle.format import MANIFEST_MAX_BYTES, MANIFEST_NAME
from sealdrop.bundle.reader import open_bundle
from sealdrop.errors import BundleInvalid, SealdropError
from tests.sealdrop.bundle.helpers import forge, items_on_disk, members_of, write_bundle

Members = dict[str, bytes]
Manifest = dict[str, Any]


@pytest.fixture
def valid(tmp_path: Path) -> tuple[Members, Manifest]:
    return members_of(write_bundle(tmp_path / "valid.zip", items_on_disk(tmp_path)))


def _first(manifest: Manifest) -> dict[str, Any]:
    entry: dict[str, Any] = manifest["entries"][0]
    return entry


def refused(path: Path, match: str) -> None:
    with pytest.raises(BundleInvalid, match=match) as caught:
        open_bundle(path).verify()
    assert isinstance(caught.value, SealdropError)


def test_the_valid_forgery_is_accepted(tmp_path: Path, valid: tuple[Members, Manifest]) -> None:
    """The control: forge() alone, untouched, makes a bundle the reader takes."""
    members, manifest = valid
    with open_bundle(forge(tmp_path / "f.zip", members.items(), manifest)) as opened:
        opened.verify()


@pytest.mark.parametrize(
    "name",
    [
        "../evil.gpg",
        "amber heron/../../evil.gpg",
        "/etc/cron.d/evil",
        "amber heron//1-amber-heron-msg.gpg",
        "./manifest.json",
        "amber heron\\..\\evil.gpg",
        "C:/evil.gpg",
        "amber heron/\x1b[2Jevil.gpg",
    ],
)
def test_unsafe_names(tmp_path: Path, valid: tuple[Members, Manifest], name: str) -> None:
    members, manifest = valid
    refused(forge(tmp_path / "f.zip", [*members.items(), (name, b"x")], manifest), "unsafe name")


def test_a_nul_in_a_name(tmp_path: Path, valid: tuple[Members, Manifest]) -> None:
    """zipfile cuts names at a NUL, so '1-...-msg.gpg<NUL>.txt' would read as a listed entry."""
    members, manifest = valid
    name = _first(manifest)["path"]
    bundle = forge(
        tmp_path / "f.zip",
        [(f"{n}@.txt" if n == name else n, d) for n, d in members.items()],
        manifest,
    )
    # zipfile will not write a NUL in a name: put it in both the local and central headers.
    bundle.write_bytes(bundle.read_bytes().replace(b".gpg@.txt", b".gpg\x00.txt"))
    refused(bundle, "unsafe name")


def test_duplicate_names(tmp_path: Path, valid: tuple[Members, Manifest]) -> None:
    members, manifest = valid
    name, data = next(iter(members.items()))
    with pytest.warns(UserWarning, match="Duplicate name"):
        bundle = forge(tmp_path / "f.zip", [*members.items(), (name, data)], manifest)
    refused(bundle, "twice")


def test_an_entry_the_manifest_does_not_list(
    tmp_path: Path, valid: tuple[Members, Manifest]
) -> None:
    members, manifest = valid
    extra = ("amber heron/9-amber-heron-msg.gpg", b"surprise")
    refused(forge(tmp_path / "f.zip", [*members.items(), extra], manifest), "does not list")


def test_a_listed_entry_missing(tmp_path: Path, valid: tuple[Members, Manifest]) -> None:
    members, manifest = valid
    kept = list(members.items())[1:]
    refused(forge(tmp_path / "f.zip", kept, manifest), "lacks")


def test_no_manifest(tmp_path: Path, valid: tuple[Members, Manifest]) -> None:
    members, _ = valid
    refused(forge(tmp_path / "f.zip", members.items(), None), "no manifest")


def test_same_size_other_bytes(tmp_path: Path, valid: tuple[Members, Manifest]) -> None:
    members, manifest = valid
    name = _first(manifest)["path"]
    changed = {**members, name: bytes(len(members[name]))}
    bundle = forge(tmp_path / "f.zip", changed.items(), manifest)
    with open_bundle(bundle) as opened:  # the structure is fine: only reading tells
        with pytest.raises(BundleInvalid, match="not the file"):
            b"".join(opened.chunks(opened.entries[0]))
        # A bundle opened for use is verified whole first.
        with pytest.raises(BundleInvalid, match="not the file"):
            opened.verify()


def test_a_size_that_differs(tmp_path: Path, valid: tuple[Members, Manifest]) -> None:
    members, manifest = valid
    _first(manifest)["size"] += 1
    refused(forge(tmp_path / "f.zip", members.items(), manifest), "not the size")


def test_a_flipped_byte_on_disk(tmp_path: Path) -> None:
    bundle = write_bundle(tmp_path / "b.zip", items_on_disk(tmp_path))
    data = bytearray(bundle.read_bytes())
    data[200] ^= 0xFF  # inside the first entry's ciphertext
    bundle.write_bytes(data)
    refused(bundle, "damaged|not the file")


def _tamper(manifest: Manifest, change: Callable[[Manifest], None]) -> Manifest:
    changed = copy.deepcopy(manifest)
    change(changed)
    return changed


MANIFEST_CHANGES: dict[str, tuple[Callable[[Manifest], None], str]] = {
    "version 2": (lambda m: m.update(version=2), "version 2"),
    "version true": (lambda m: m.update(version=True), "version True"),
    "another format": (lambda m: m.update(format="zipfile"), "another format"),
    "an extra field": (lambda m: m.update(signed_by="me"), "wrong fields"),
    "a missing field": (lambda m: m.pop("instance"), "wrong fields"),
    "a created moment": (lambda m: m.update(created="2024-05-01T13:07:00"), "creation date"),
    "an impossible day": (lambda m: m.update(created="2024-02-30"), "creation date"),
    "an unknown kind": (lambda m: _first(m).update(kind="video"), "unknown kind"),
    "a path not its fields": (lambda m: _first(m).update(interaction=7), "unexpected path"),
    "a negative size": (lambda m: _first(m).update(size=-1), "bad size"),
    "a bad sha256": (lambda m: _first(m).update(sha256="00"), "bad sha256"),
    "an unlisted source": (lambda m: m["sources"].pop(0), "unlisted source"),
    "a bad designation": (lambda m: m["sources"][0].update(designation="../x"), "designation"),
    "an entry twice": (lambda m: m["entries"].append(m["entries"][0]), "twice"),
    "entries not a list": (lambda m: m.update(entries={}), "not a list"),
}


@pytest.mark.parametrize("case", MANIFEST_CHANGES)
def test_manifest_changes(tmp_path: Path, valid: tuple[Members, Manifest], case: str) -> None:
    members, manifest = valid
    change, match = MANIFEST_CHANGES[case]
    refused(forge(tmp_path / "f.zip", members.items(), _tamper(manifest, change)), match)


@pytest.mark.parametrize(
    ("raw", "match"),
    [
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe", "not valid JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "not valid JSON|wrong fields"),
        (b'{"format": 1, "format": 2}', "repeats a key"),
        (b"[]", "wrong fields"),
    ],
)
def test_manifest_that_is_not_one(
    tmp_path: Path, valid: tuple[Members, Manifest], raw: bytes, match: str
) -> None:
    members, _ = valid
    refused(forge(tmp_path / "f.zip", members.items(), raw), match)


def test_an_oversized_manifest(tmp_path: Path, valid: tuple[Members, Manifest]) -> None:
    members, manifest = valid
    manifest["instance"] = "x" * MANIFEST_MAX_BYTES
    refused(forge(tmp_path / "f.zip", members.items(), manifest), "too large")


def test_a_compressed_entry(tmp_path: Path, valid: tuple[Members, Manifest]) -> None:
    members, manifest = valid
    bundle = forge(tmp_path / "f.zip", members.items(), manifest, compression=zipfile.ZIP_DEFLATED)
    refused(bundle, "compressed")


@pytest.mark.parametrize("keep", [0, 22, 1000, -1])
def test_not_a_zip_or_cut_short(tmp_path: Path, keep: int) -> None:
    data = write_bundle(tmp_path / "b.zip", items_on_disk(tmp_path)).read_bytes()
    cut = tmp_path / "cut.zip"
    cut.write_bytes(data[:keep] if keep >= 0 else b"PK\x03\x04" + data[4:-23])
    refused(cut, "not a bundle|cut short|damaged")


def test_a_stream_cut_off_mid_entry(tmp_path: Path) -> None:
    """What a journalist gets when the download broke: no end, no manifest."""
    data = write_bundle(tmp_path / "b.zip", items_on_disk(tmp_path)).read_bytes()
    cut = tmp_path / "cut.zip"
    cut.write_bytes(data[: len(data) // 2])
    refused(cut, "not a bundle")


def test_a_missing_file(tmp_path: Path) -> None:
    refused(tmp_path / "nothing-here.zip", "not a bundle")


def test_manifest_entry_is_refused_as_an_entry_name(
    tmp_path: Path, valid: tuple[Members, Manifest]
) -> None:
    """The manifest's own name cannot be listed as an item: no item path is a bare name."""
    members, manifest = valid
    _first(manifest)["path"] = MANIFEST_NAME
    refused(forge(tmp_path / "f.zip", members.items(), manifest), "unexpected path")
