"""The store: paths stay inside it, placement is atomic and never overwrites, modes are strict."""

from __future__ import annotations

import datetime as dt
import os
import stat
import time
from pathlib import Path

import pytest

from sealdrop.errors import StorePathError
from sealdrop.storage.store import Store

SOURCE = "a" * 52
OTHER = "b" * 26 + "234567" * 4 + "c" * 2
NAME = "1-amber-heron-msg.gpg"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "store")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def start_of_utc_day(moment: float) -> float:
    day = dt.datetime.fromtimestamp(moment, dt.UTC).date()
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp()


def staged(store: Store, filesystem_id: str, data: bytes = b"ciphertext") -> Path:
    path = store.staging_path(filesystem_id)
    path.write_bytes(data)
    path.chmod(0o644)
    return path


def test_root_is_made_private(tmp_path: Path) -> None:
    (tmp_path / "store").mkdir(mode=0o755)
    assert mode(Store(tmp_path / "store").root) == 0o700


@pytest.mark.parametrize(
    "filesystem_id",
    [
        "",
        "a" * 51,
        "a" * 53,
        "A" * 52,
        "a" * 51 + "1",
        "a" * 51 + "8",
        "a" * 51 + "/",
        "a" * 52 + "\n",
        "..",
        "../" + "a" * 49,
        "/" + "a" * 51,
        "a" * 51 + "\u00e9",
    ],
)
def test_bad_filesystem_ids_are_refused(store: Store, filesystem_id: str) -> None:
    with pytest.raises(StorePathError):
        store.source_dir(filesystem_id)
    with pytest.raises(StorePathError):
        store.path_of(filesystem_id, NAME)


def test_good_filesystem_ids(store: Store) -> None:
    assert store.source_dir(SOURCE) == store.root / SOURCE
    assert store.source_dir(OTHER) == store.root / OTHER


@pytest.mark.parametrize(
    "name",
    [
        "",
        "..",
        "../" + NAME,
        NAME + "/../x",
        "/etc/passwd",
        "0-amber-heron-msg.gpg",
        "01-amber-heron-msg.gpg",
        "1-Amber-heron-msg.gpg",
        "1-amber-heron-evil.gpg",
        "1-amber-heron-msg.gpg.bak",
        ".1-amber-heron-msg.gpg",
        "1-amberheron-msg.gpg",
        "1-amber-heron-doc.gpg",
        "1-amber heron-msg.gpg",
        "1-amber-heron-msg.gpg\n",
        "x/1-amber-heron-msg.gpg",
    ],
)
def test_bad_names_are_refused(store: Store, name: str) -> None:
    with pytest.raises(StorePathError):
        store.path_of(SOURCE, name)


@pytest.mark.parametrize(
    "name", [NAME, "12-amber-heron-doc.gz.gpg", "3-o'brien-well-known-reply.gpg"]
)
def test_good_names(store: Store, name: str) -> None:
    assert store.path_of(SOURCE, name) == store.root / SOURCE / name


def test_symlinked_source_dir_cannot_lead_outside(store: Store, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (store.root / SOURCE).symlink_to(outside)
    with pytest.raises(StorePathError, match="leaves the store"):
        store.path_of(SOURCE, NAME)


def test_staging_paths_are_hidden_unique_and_private(store: Store) -> None:
    first, second = store.staging_path(SOURCE), store.staging_path(SOURCE)

    assert first != second
    assert first.parent == second.parent == store.staging == store.root / ".staging"
    assert first.name.startswith(".")
    assert first.name.endswith(".part")
    assert mode(store.staging) == 0o700
    assert not (store.root / SOURCE).exists(), "a source's folder comes with its first file"
    assert not first.exists()  # the caller creates it, with its own mode


def test_place_moves_atomically_and_sets_the_mode(store: Store) -> None:
    path = staged(store, SOURCE, b"sealed bytes")

    placed = store.place(path, SOURCE, NAME)

    assert placed == store.root / SOURCE / NAME
    assert placed.read_bytes() == b"sealed bytes"
    assert mode(placed) == 0o600
    assert placed.stat().st_nlink == 1
    assert not path.exists()


def test_place_dates_the_file_and_its_folder_to_the_day(store: Store) -> None:
    """Access and modification times say which UTC day, never which second, a file arrived."""
    path = staged(store, SOURCE)
    before = time.time()

    placed = store.place(path, SOURCE, NAME)

    after = time.time()
    days = {start_of_utc_day(before), start_of_utc_day(after)}  # midnight may pass meanwhile
    for item in (placed, placed.parent):
        info = item.stat()
        assert info.st_mtime == info.st_atime
        assert info.st_mtime in days


def test_place_refuses_to_overwrite(store: Store) -> None:
    store.place(staged(store, SOURCE, b"first"), SOURCE, NAME)
    second = staged(store, SOURCE, b"second")

    with pytest.raises(FileExistsError):
        store.place(second, SOURCE, NAME)

    assert (store.root / SOURCE / NAME).read_bytes() == b"first"


def test_place_takes_only_files_of_the_staging_folder(store: Store) -> None:
    elsewhere = store.root / "elsewhere.part"
    elsewhere.write_bytes(b"x")
    with pytest.raises(StorePathError, match="staging folder"):
        store.place(elsewhere, SOURCE, NAME)
    assert not (store.root / SOURCE / NAME).exists()


def test_place_refuses_unstaged_files(store: Store) -> None:
    (store.root / SOURCE).mkdir()
    loose = store.root / SOURCE / "loose.gpg"
    loose.write_bytes(b"x")
    with pytest.raises(StorePathError):
        store.place(loose, SOURCE, NAME)


def test_place_refuses_bad_names(store: Store) -> None:
    path = staged(store, SOURCE)
    with pytest.raises(StorePathError):
        store.place(path, SOURCE, "../../escape-x-y-msg.gpg")
    assert path.exists()


def test_secure_delete_overwrites_before_unlinking(store: Store, tmp_path: Path) -> None:
    target = store.place(staged(store, SOURCE, b"S" * 3_000_000), SOURCE, NAME)
    witness = tmp_path / "witness"
    os.link(target, witness)  # a second name for the same blocks shows what was written

    store.secure_delete(target)

    assert not target.exists()
    assert witness.read_bytes() == bytes(3_000_000)


def test_secure_delete_of_a_missing_file_is_fine(store: Store) -> None:
    store.secure_delete(store.root / SOURCE / NAME)


def test_delete_source(store: Store) -> None:
    store.place(staged(store, SOURCE), SOURCE, NAME)
    staged(store, SOURCE)
    store.place(staged(store, OTHER), OTHER, NAME)

    store.delete_source(SOURCE)
    store.delete_source(SOURCE)  # twice is fine

    assert not (store.root / SOURCE).exists()
    assert (store.root / OTHER / NAME).exists()


def test_remove_stale_staging(store: Store) -> None:
    old, fresh = staged(store, SOURCE), staged(store, OTHER)
    kept = store.place(staged(store, SOURCE), SOURCE, NAME)
    day_ago = time.time() - 86_400
    for path in (old, kept):
        os.utime(path, (day_ago, day_ago))

    assert store.remove_stale_staging(3600) == 1

    assert not old.exists()
    assert fresh.exists()
    assert kept.exists()
    assert store.remove_stale_staging(3600) == 0


def test_walk_lists_every_file(store: Store) -> None:
    placed = store.place(staged(store, SOURCE), SOURCE, NAME)
    left = staged(store, OTHER)
    (store.root / "stray").write_bytes(b"")
    (store.root / "stray").chmod(0o644)

    found = {(item.filesystem_id, item.name, stat.S_IMODE(item.mode)) for item in store.walk()}

    assert found == {
        (SOURCE, placed.name, 0o600),
        (".staging", left.name, 0o644),
        ("", "stray", 0o644),
    }
