"""The backup services below the CLI: the archive's format, migrations on restore, hostile tars,
a deletion racing the store copy, and PostgreSQL through pg_dump."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import shutil
import tarfile
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from sealdrop.config import load_config
from sealdrop.crypto.gpg import Gpg
from sealdrop.db import migrate
from sealdrop.db.engine import make_engine
from sealdrop.db.models import Journalist, Submission
from sealdrop.errors import ArchiveInvalid, RestoreRefused
from sealdrop.runtime.initialise import initialise
from sealdrop.runtime.instance import open_instance
from sealdrop.services import backup, items, restore_drill
from sealdrop.services import backup_format as fmt
from sealdrop.services.audit import Actor
from sealdrop.services.restore import restore
from tests.cli_runner import as_a_process, assert_one_clear_line
from tests.harness import FAST_ARGON2, FAST_KDF, ReaderKeys
from tests.pgserver import PostgresServer, create_database
from tests.sealdrop.cli.backup_helpers import (
    copy_instance,
    decrypt,
    flip_byte,
    populate,
    populated_template,
    rewrite_tar,
    rows_of,
)

NOW = dt.datetime(2026, 12, 1, 3, 17, 0, tzinfo=dt.UTC)


def nothing_to_verify() -> None:
    """A plain tar has no gpg verdict to wait for."""


@pytest.fixture(scope="module")
def template(reader_keys: ReaderKeys) -> Iterator[dict[str, str]]:
    base = Path(tempfile.mkdtemp(prefix="sdv-"))
    try:
        yield populated_template(base, reader_keys)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def make_backup(env: dict[str, str], admin: ReaderKeys, output: Path) -> backup.BackupResult:
    config = load_config(env)
    gpg = Gpg(config.gpg_scratch_dir)
    recipient = backup.check_recipient(gpg, admin.public_key)
    output.mkdir(exist_ok=True)
    return backup.create_backup(config, gpg, recipient=recipient, output_dir=output, now=NOW)


@pytest.fixture(scope="module")
def plain_tar(template: dict[str, str], admin_keys: ReaderKeys) -> Iterator[Path]:
    base = Path(tempfile.mkdtemp(prefix="sdw-"))
    try:
        made = make_backup(template, admin_keys, base / "out")
        yield decrypt(admin_keys, made.path, base / "backup.tar")
    finally:
        shutil.rmtree(base, ignore_errors=True)


def read_member(tar: Path, name: str) -> bytes:
    with tarfile.open(tar) as opened:
        return opened.extractfile(name).read()  # type: ignore[union-attr]


def test_member_names_are_only_those_a_backup_writes() -> None:
    fsid = "a" * 52
    for good in (
        "FORMAT",
        "store",
        f"store/{fsid}",
        f"store/{fsid}/1-amber-heron-msg.gpg",
        "onion/journalist/authorized_clients/alice.auth",
        "database/sealdrop.sqlite",
    ):
        assert fmt.check_member_name(good) == good
    for bad in (
        "/etc/passwd",
        "../x",
        "onion/../../x",
        f"store/{fsid}/../../x",
        "store/x/y",
        "onion/a/b/c/d",
        "notes.txt",
        "database/other.db",
        "",
    ):
        with pytest.raises(ArchiveInvalid):
            fmt.check_member_name(bad)


def test_the_manifest_reads_back_what_it_wrote_and_refuses_others() -> None:
    entry = fmt.FileEntry(3, hashlib.sha256(b"abc").hexdigest())
    manifest = fmt.Manifest(
        instance_id="ab" * 16,
        schema_revision="0006",
        database=fmt.SQLITE_NAME,
        counts=dict.fromkeys(fmt.COUNTED_TABLES, 2),
        files={fmt.SQLITE_NAME: entry, fmt.SECRETS_NAME: entry},
        day="2026-12-01",
    )
    assert fmt.Manifest.from_json(manifest.to_json()) == manifest
    for damaged in (
        b"",
        b"[]",
        b"{}",
        manifest.to_json().replace(b'"format_version": 1', b'"format_version": 2'),
        manifest.to_json().replace(b'"sources": 2', b'"sources": "two"'),
        manifest.to_json().replace(b"secrets.toml", b"../secrets.toml"),
    ):
        with pytest.raises(ArchiveInvalid):
            fmt.Manifest.from_json(damaged)


def test_the_instance_id_is_stable_and_tells_nothing_of_the_salt() -> None:
    salt = bytes(range(32))
    assert fmt.instance_id(salt) == fmt.instance_id(bytes(range(32)))
    assert fmt.instance_id(salt) != fmt.instance_id(bytes(32))
    assert salt.hex()[:8] not in fmt.instance_id(salt)


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


def test_a_deletion_during_the_store_copy_starts_the_backup_again(
    template: dict[str, str],
    admin_keys: ReaderKeys,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a snapshot that still holds an item the newsroom deletes right after it is taken:
    env = copy_instance(template, tmp_path)
    config = load_config(env)
    inst = open_instance(config)
    real_snapshot = backup.snapshot_database
    deleted: list[str] = []

    def snapshot_then_delete(*args: object) -> backup.DatabaseImage:
        image = real_snapshot(*args)  # type: ignore[arg-type]
        if not deleted:
            with inst.sessions() as session:
                item = session.scalars(select(Submission)).first()
                assert item is not None
                deleted.append(item.filename)
                items.delete_item(session, inst.store, item, by=Actor("dana", dt.date.today()))
        return image

    # The one way to place a deletion exactly between the snapshot and the store copy: the
    # snapshot itself is real, and the retry and the check under test are untouched.
    monkeypatch.setattr(backup, "snapshot_database", snapshot_then_delete)
    try:
        made = make_backup(env, admin_keys, tmp_path / "out")
    finally:
        inst.close()

    # Then the archive is the second attempt's: without the deleted item, and whole.
    assert made.manifest.counts["submissions"] == 5
    assert not [name for name in made.manifest.files if name.endswith(deleted[0])]
    assert [p.name for p in (tmp_path / "out").iterdir()] == [made.path.name]


@pytest.mark.postgres
def test_postgresql_is_dumped_and_its_drill_counts_the_rows(
    postgres_server: PostgresServer,
    reader_keys: ReaderKeys,
    admin_keys: ReaderKeys,
    tmp_path: Path,
) -> None:
    # Given an instance on PostgreSQL, populated:
    url = create_database(postgres_server, f"t_{uuid.uuid4().hex}")
    env = {**copy_env(tmp_path), "SEALDROP_DATABASE_URL": url}
    initialise(load_config(env), submission_key=reader_keys.public_key)
    populate(env, reader_keys, sources=2)

    # When it is backed up, the archive holds a pg_dump:
    made = make_backup(env, admin_keys, tmp_path / "out")
    assert made.manifest.database == fmt.PGDUMP_NAME
    assert made.manifest.counts == {"sources": 2, "submissions": 4, "replies": 2, "journalists": 2}
    tar = decrypt(admin_keys, made.path, tmp_path / "backup.tar")

    # A drill without a scratch database is refused, not half done:
    with tar.open("rb") as stream, pytest.raises(RestoreRefused, match="--database-url"):
        restore_drill.drill(stream, scratch=tmp_path, verified=nothing_to_verify)

    # Then a drill into an empty database restores every row, and the store matches them.
    scratch_url = create_database(postgres_server, f"t_{uuid.uuid4().hex}")
    with tar.open("rb") as stream:
        report = restore_drill.drill(
            stream, scratch=tmp_path, verified=nothing_to_verify, database_url=scratch_url
        )
    assert report.problems == [], report.lines
    assert rows_of(scratch_url) == rows_of(url)


def copy_env(tmp_path: Path) -> dict[str, str]:
    base = Path(tempfile.mkdtemp(prefix="d", dir=tmp_path))
    return {
        "SEALDROP_DATA_DIR": str(base / "data"),
        "SEALDROP_MIN_FREE_BYTES": "0",
        **FAST_KDF,
        **FAST_ARGON2,
    }


@pytest.mark.postgres
def test_without_pg_dump_a_postgresql_backup_is_one_clear_line(
    postgres_server: PostgresServer, reader_keys: ReaderKeys, admin_keys: ReaderKeys, tmp_path: Path
) -> None:
    url = create_database(postgres_server, f"t_{uuid.uuid4().hex}")
    env = {**copy_env(tmp_path), "SEALDROP_DATABASE_URL": url}
    initialise(load_config(env), submission_key=reader_keys.public_key)
    # A PATH with gpg and nothing of PostgreSQL.
    tools = tmp_path / "bin"
    tools.mkdir()
    for tool in ("gpg", "gpg-agent", "gpgconf"):
        (tools / tool).symlink_to(shutil.which(tool) or tool)
    key = tmp_path / "admin.asc"
    key.write_text(admin_keys.public_key)
    (tmp_path / "out").mkdir()

    ran = as_a_process(
        {**env, "PATH": str(tools)},
        "backup",
        "--output",
        str(tmp_path / "out"),
        "--recipient-key",
        str(key),
    )

    assert_one_clear_line(ran, mentions="pg_dump is not installed")
    assert list((tmp_path / "out").iterdir()) == []
