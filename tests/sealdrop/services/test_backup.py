"""The backup service below the CLI: a deletion racing the store copy, and PostgreSQL through
pg_dump. The archive's format and the restore have modules of their own."""

from __future__ import annotations

import datetime as dt
import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from sealdrop.config import load_config
from sealdrop.db.models import Submission
from sealdrop.errors import RestoreRefused
from sealdrop.runtime.initialise import initialise
from sealdrop.runtime.instance import open_instance
from sealdrop.services import backup, items, restore_drill
from sealdrop.services import backup_format as fmt
from sealdrop.services.audit import Actor
from tests.cli_runner import as_a_process, assert_one_clear_line
from tests.harness import ReaderKeys
from tests.pgserver import PostgresServer, create_database
from tests.sealdrop.backup_helpers import (
    copy_instance,
    decrypt,
    empty_env,
    make_backup,
    nothing_to_verify,
    populate,
    rows_of,
)


def test_a_deletion_during_the_store_copy_starts_the_backup_again(
    backup_template: dict[str, str],
    admin_keys: ReaderKeys,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a snapshot that still holds an item the newsroom deletes right after it is taken:
    env = copy_instance(backup_template, tmp_path)
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
    env = {**empty_env(tmp_path), "SEALDROP_DATABASE_URL": url}
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


@pytest.mark.postgres
def test_without_pg_dump_a_postgresql_backup_is_one_clear_line(
    postgres_server: PostgresServer, reader_keys: ReaderKeys, admin_keys: ReaderKeys, tmp_path: Path
) -> None:
    url = create_database(postgres_server, f"t_{uuid.uuid4().hex}")
    env = {**empty_env(tmp_path), "SEALDROP_DATABASE_URL": url}
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
