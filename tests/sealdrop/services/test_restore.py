"""Restore below the CLI: older archives migrated to head, newer and hostile ones refused with
nothing written outside, and the drill's second pass over what was restored."""

from __future__ import annotations

import hashlib
import io
import shutil
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete

from sealdrop.db import migrate
from sealdrop.db.engine import make_engine
from sealdrop.db.models import Journalist
from sealdrop.errors import ArchiveInvalid, RestoreRefused
from sealdrop.services import backup_format as fmt
from sealdrop.services import restore_drill
from sealdrop.services.restore import restore
from tests.harness import ReaderKeys
from tests.sealdrop.backup_helpers import (
    decrypt,
    flip_byte,
    make_backup,
    nothing_to_verify,
    rewrite_tar,
)


@pytest.fixture(scope="module")
def plain_tar(backup_template: dict[str, str], admin_keys: ReaderKeys) -> Iterator[Path]:
    base = Path(tempfile.mkdtemp(prefix="sdw-"))
    try:
        made = make_backup(backup_template, admin_keys, base / "out")
        yield decrypt(admin_keys, made.path, base / "backup.tar")
    finally:
        shutil.rmtree(base, ignore_errors=True)


def read_member(tar: Path, name: str) -> bytes:
    with tarfile.open(tar) as opened:
        return opened.extractfile(name).read()  # type: ignore[union-attr]


def older_archive(plain_tar: Path, tmp_path: Path, revision: str) -> Path:
    """The same archive as if made when the schema was at `revision`: its database downgraded."""
    database = tmp_path / "old.sqlite"
    database.write_bytes(read_member(plain_tar, fmt.SQLITE_NAME))
    engine = make_engine(f"sqlite:///{database}")
    try:
        migrate.downgrade(engine, revision)
    finally:
        engine.dispose()
    data = database.read_bytes()
    manifest = fmt.Manifest.from_json(read_member(plain_tar, fmt.MANIFEST_NAME))
    files = {
        **manifest.files,
        fmt.SQLITE_NAME: fmt.FileEntry(len(data), hashlib.sha256(data).hexdigest()),
    }
    older = fmt.Manifest(
        manifest.instance_id, revision, manifest.database, manifest.counts, files, manifest.day
    )
    return rewrite_tar(
        plain_tar, tmp_path / "old.tar", {fmt.SQLITE_NAME: data, fmt.MANIFEST_NAME: older.to_json()}
    )


def test_an_older_archive_is_migrated_to_head(plain_tar: Path, tmp_path: Path) -> None:
    old = older_archive(plain_tar, tmp_path, "0005")
    with old.open("rb") as stream:
        done = restore(stream, tmp_path / "data", verified=nothing_to_verify)
    assert done.migrated_from == "0005"
    engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'sealdrop.sqlite'}")
    try:
        assert migrate.current_revision(engine) == migrate.HEAD_REVISION
    finally:
        engine.dispose()


def test_an_archive_from_a_newer_version_is_refused(plain_tar: Path, tmp_path: Path) -> None:
    head = f'"{migrate.HEAD_REVISION}"'.encode()
    manifest = read_member(plain_tar, fmt.MANIFEST_NAME).replace(head, b'"9999"')
    newer = rewrite_tar(plain_tar, tmp_path / "new.tar", {fmt.MANIFEST_NAME: manifest})
    with newer.open("rb") as stream, pytest.raises(RestoreRefused, match="newer than this"):
        restore(stream, tmp_path / "data", verified=nothing_to_verify)
    assert not (tmp_path / "data").exists()


def hostile_tar(path: Path, members: list[tarfile.TarInfo]) -> Path:
    with tarfile.open(path, "w") as tar:
        format_marker = tarfile.TarInfo(fmt.FORMAT_NAME)
        format_marker.size = len(fmt.FORMAT_LINE)
        tar.addfile(format_marker, io.BytesIO(fmt.FORMAT_LINE))
        for member in members:
            tar.addfile(member, io.BytesIO(b"x" * member.size) if member.isreg() else None)
    return path


def symlink(name: str, target: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = tarfile.SYMTYPE, target
    return info


def regular(name: str, size: int = 1) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    return info


@pytest.mark.parametrize(
    ("members", "mentions"),
    [
        ([symlink("secrets.toml", "/etc/shadow")], "not a regular file"),
        ([regular("../escape")], "no Sealdrop backup has"),
        ([regular("/etc/cron.d/x")], "no Sealdrop backup has"),
        ([regular("secrets.toml"), regular("secrets.toml")], "twice"),
        ([regular("secrets.toml")], "ends before its manifest"),
    ],
)
def test_a_hostile_tar_is_refused_and_writes_nothing_outside(
    tmp_path: Path, members: list[tarfile.TarInfo], mentions: str
) -> None:
    tar = hostile_tar(tmp_path / "hostile.tar", members)
    with tar.open("rb") as stream, pytest.raises(ArchiveInvalid, match=mentions):
        restore(stream, tmp_path / "in" / "data", verified=nothing_to_verify)
    assert list((tmp_path / "in").iterdir()) == []
    assert not (tmp_path / "escape").exists()


def test_a_huge_manifest_is_refused_before_it_is_read(tmp_path: Path) -> None:
    # Only the header claims 300 MB: the restore must stop at the header, not read on.
    marker = tarfile.TarInfo(fmt.FORMAT_NAME)
    marker.size = len(fmt.FORMAT_LINE)
    huge = regular(fmt.MANIFEST_NAME, 300 << 20)
    tar = tmp_path / "huge.tar"
    tar.write_bytes(
        marker.tobuf(tarfile.GNU_FORMAT, "utf-8", "surrogateescape")
        + fmt.FORMAT_LINE.ljust(tarfile.BLOCKSIZE, b"\0")
        + huge.tobuf(tarfile.GNU_FORMAT, "utf-8", "surrogateescape")
        + bytes(4 * tarfile.BLOCKSIZE)
    )
    with tar.open("rb") as stream, pytest.raises(ArchiveInvalid, match="too large"):
        restore(stream, tmp_path / "data", verified=nothing_to_verify)


def test_a_tar_without_the_format_marker_is_refused(plain_tar: Path, tmp_path: Path) -> None:
    with tarfile.open(tmp_path / "other.tar", "w") as tar:
        tar.add(plain_tar, arcname="secrets.toml")
    with (
        (tmp_path / "other.tar").open("rb") as stream,
        pytest.raises(ArchiveInvalid, match="FORMAT"),
    ):
        restore(stream, tmp_path / "data", verified=nothing_to_verify)


def test_the_drills_second_pass_finds_a_restored_file_or_row_changed(
    plain_tar: Path, tmp_path: Path
) -> None:
    # Given a restore that went well, whose result then changes on disk:
    with plain_tar.open("rb") as stream:
        restored = restore(stream, tmp_path / "data", verified=nothing_to_verify)
    assert restore_drill.check_restored(restored).problems == []
    stored = next((tmp_path / "data" / "store").glob("*/*-doc.gz.gpg"))
    stored.write_bytes(flip_byte(stored.read_bytes(), 10))
    engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'sealdrop.sqlite'}")
    try:
        with engine.begin() as connection:
            connection.execute(delete(Journalist).where(Journalist.username == "reporter0"))
    finally:
        engine.dispose()

    # Then the second pass reports both.
    problems = restore_drill.check_restored(restored).problems
    assert (
        f"store/{stored.parent.name}/{stored.name}: differs from the manifest after the restore"
        in problems
    )
    assert "journalists: 2 rows restored, the manifest says 3" in problems
