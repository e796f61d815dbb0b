"""`sealdrop backup`, `restore` and `restore-drill` through the real command, on a full instance.

Given an instance with sources, submissions (messages and files), replies, journalists and onion
state, a backup encrypted to the admin's key restores to the same bytes and rows, its drill
passes, and any damage to the archive makes restore and drill refuse, in one line.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import stat
import tarfile
import tempfile
import threading
import time
from pathlib import Path

import pytest

from sealdrop.config import load_config
from sealdrop.runtime.instance import open_instance
from sealdrop.services.submissions import accept_message
from tests.cli_runner import Sealdrop, assert_one_clear_line
from tests.harness import TODAY, OddKeys, ReaderKeys, new_source
from tests.sealdrop.backup_helpers import (
    DATABASE,
    back_up,
    data_dir,
    decrypt,
    files_of,
    modes_of,
    rows_of,
    run_backup,
)
from tests.sealdrop.services.submission_helpers import upload

ARCHIVE_NAME = re.compile(r"^sealdrop-backup-\d{8}T\d{6}Z\.tar\.gpg$")


def test_backup_then_restore_gives_every_byte_and_row(
    sealdrop: Sealdrop,
    populated_env: dict[str, str],
    admin_key: Path,
    admin_keys: ReaderKeys,
    tmp_path: Path,
) -> None:
    # Given a populated instance, when it is backed up:
    output = tmp_path / "backups"
    ran = run_backup(sealdrop, populated_env, admin_key, output)

    # Then one archive, named by the time, private, and the sha256 printed is its own.
    assert ran.code == 0, ran.stderr
    archive = Path(ran.stdout.splitlines()[0])
    assert [p.name for p in output.iterdir()] == [archive.name]
    assert ARCHIVE_NAME.match(archive.name)
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    assert f"sha256 {hashlib.sha256(archive.read_bytes()).hexdigest()}" in ran.stdout
    # It is ciphertext: no tar header, no stored file name readable in it.
    assert b"ustar" not in archive.read_bytes()
    assert b"secrets.toml" not in archive.read_bytes()

    # When the admin decrypts it on their workstation and restores it into a fresh directory:
    tar = decrypt(admin_keys, archive, tmp_path / "backup.tar")
    target = tmp_path / "restored" / "data"
    restored = sealdrop({}, "restore", "--from-tar", str(tar), "--to", str(target))

    # Then every file is there, byte for byte, every row too, all private.
    assert restored.code == 0, restored.stderr
    source = data_dir(populated_env)
    assert files_of(target) == files_of(source)
    assert "onion/journalist/authorized_clients/alice-laptop.auth" in files_of(target)
    assert len([n for n in files_of(target) if n.startswith("store/")]) == 9
    assert rows_of(f"sqlite:///{target / DATABASE}") == rows_of(f"sqlite:///{source / DATABASE}")
    assert modes_of(target) <= {0o700, 0o600}
    # And the restored instance passes its own check.
    checked = sealdrop({**populated_env, "SEALDROP_DATA_DIR": str(target)}, "check")
    assert checked.code == 0, checked.stdout


def test_restore_decrypting_with_the_admins_home(
    sealdrop: Sealdrop,
    populated_env: dict[str, str],
    archive: Path,
    admin_keys: ReaderKeys,
    tmp_path: Path,
) -> None:
    target = tmp_path / "restored"

    ran = sealdrop(
        {}, "restore", str(archive), "--gnupghome", str(admin_keys.gpg.home), "--to", str(target)
    )

    assert ran.code == 0, ran.stderr
    assert f"restored 18 files into {target}" in ran.stdout
    assert files_of(target) == files_of(data_dir(populated_env))


def test_the_drill_passes_and_reports_counts(
    sealdrop: Sealdrop, archive: Path, admin_keys: ReaderKeys, tmp_path: Path
) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()

    ran = sealdrop(
        {},
        "restore-drill",
        str(archive),
        "--gnupghome",
        str(admin_keys.gpg.home),
        "--scratch-dir",
        str(scratch),
    )

    assert ran.code == 0, ran.stdout + ran.stderr
    assert "sources: 3 (manifest: 3) ok" in ran.stdout
    assert "submissions: 6 (manifest: 6) ok" in ran.stdout
    assert "replies: 3 (manifest: 3) ok" in ran.stdout
    assert "journalists: 3 (manifest: 3) ok" in ran.stdout
    assert "database and store agree" in ran.stdout
    assert ran.stdout.rstrip().endswith("drill passed")
    assert list(scratch.iterdir()) == []  # the scratch restore is gone


@pytest.mark.parametrize(
    ("kind", "mentions"),
    [
        ("private", "private key"),
        ("expired", "expired"),
        ("weak", "too weak"),
        ("revoked", "revoked"),
        ("not armored", "not an ASCII-armored OpenPGP key"),
    ],
)
def test_backup_refuses_a_bad_recipient_key(
    sealdrop: Sealdrop,
    populated_env: dict[str, str],
    admin_keys: ReaderKeys,
    odd_keys: OddKeys,
    tmp_path: Path,
    kind: str,
    mentions: str,
) -> None:
    texts = {
        "private": admin_keys.export_secret_key(),
        "expired": odd_keys.expired,
        "weak": odd_keys.weak,
        "revoked": odd_keys.revoked,
        "not armored": "hello",
    }
    key = tmp_path / "key.asc"
    key.write_text(texts[kind])
    output = tmp_path / "backups"

    ran = run_backup(sealdrop, populated_env, key, output)

    assert_one_clear_line(ran, mentions=mentions)
    assert list(output.iterdir()) == []


def test_backup_into_a_missing_directory_is_one_line(
    sealdrop: Sealdrop, populated_env: dict[str, str], admin_key: Path, tmp_path: Path
) -> None:
    ran = sealdrop(
        populated_env,
        "backup",
        "--output",
        str(tmp_path / "nope"),
        "--recipient-key",
        str(admin_key),
    )
    assert_one_clear_line(ran, mentions="is not a directory")


def test_a_backup_while_submissions_are_written_is_consistent(
    sealdrop: Sealdrop,
    populated_env: dict[str, str],
    admin_key: Path,
    admin_keys: ReaderKeys,
    reader_keys: ReaderKeys,
    tmp_path: Path,
) -> None:
    # Given an upload half written (staged, never finished) and a source sending message after
    # message while the backup runs:
    inst = open_instance(load_config(populated_env))
    stop = threading.Event()
    sent: list[int] = []

    def keep_submitting() -> None:
        with inst.sessions() as session:
            _, login = new_source(inst, session)
            while not stop.is_set():
                accept_message(
                    session,
                    inst.store,
                    inst.gpg,
                    source=login.source,
                    text=f"more {len(sent)}",
                    recipients=[reader_keys.key],
                    today=TODAY,
                )
                sent.append(1)

    try:
        with inst.sessions() as session:
            _, login = new_source(inst, session)
            half = upload(
                inst, login.source, "big.pdf", b"x" * 300_000, to=[reader_keys.key], finish=False
            )
        writer = threading.Thread(target=keep_submitting)
        writer.start()
        try:
            while len(sent) < 3:  # the writer is well under way
                time.sleep(0.05)
            archive = back_up(sealdrop, populated_env, admin_key, tmp_path / "backups")
            during = len(sent)
        finally:
            stop.set()
            writer.join()
        half.discard()
    finally:
        inst.close()

    # Then the archive is one consistent moment: its drill passes, the store matching the rows.
    drilled = sealdrop({}, "restore-drill", str(archive), "--gnupghome", str(admin_keys.gpg.home))
    assert drilled.code == 0, drilled.stdout + drilled.stderr
    assert "database and store agree" in drilled.stdout
    submissions = int(re.search(r"submissions: (\d+)", drilled.stdout).group(1))  # type: ignore[union-attr]
    assert 6 + 3 <= submissions <= 6 + during + 1
    # And nothing of the half-written upload is in it.
    tar = decrypt(admin_keys, archive, tmp_path / "backup.tar")
    with tarfile.open(tar) as opened:
        assert not [name for name in opened.getnames() if ".staging" in name]


def test_the_database_snapshot_stays_in_the_ram_scratch_and_goes(
    sealdrop: Sealdrop, populated_env: dict[str, str], admin_key: Path, tmp_path: Path
) -> None:
    # Given a scratch directory of its own on the tmpfs, and one on a disk:
    scratch = Path(tempfile.mkdtemp(prefix="sds-", dir="/dev/shm"))
    on_disk = Path(tempfile.mkdtemp(prefix="sds-", dir="/var/tmp"))
    output = tmp_path / "backups"
    try:
        in_ram = {**populated_env, "SEALDROP_GPG_SCRATCH_DIR": str(scratch)}
        backed_up = run_backup(sealdrop, in_ram, admin_key, output)
        # Then the backup leaves nothing in the scratch, and the output holds only the archive.
        assert backed_up.code == 0, backed_up.stderr
        assert list(scratch.iterdir()) == []
        assert [p.suffix for p in output.iterdir()] == [".gpg"]
        # And a scratch directory on a disk is refused before anything is written.
        on_a_disk = {**populated_env, "SEALDROP_GPG_SCRATCH_DIR": str(on_disk)}
        refused = run_backup(sealdrop, on_a_disk, admin_key, on_disk)
        assert_one_clear_line(refused, mentions="not in RAM")
        assert list(on_disk.iterdir()) == []
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        shutil.rmtree(on_disk, ignore_errors=True)


def test_backup_of_a_missing_database_is_one_line_and_makes_none(
    sealdrop: Sealdrop, populated_env: dict[str, str], admin_key: Path, tmp_path: Path
) -> None:
    database = data_dir(populated_env) / DATABASE
    database.unlink()
    output = tmp_path / "backups"

    ran = run_backup(sealdrop, populated_env, admin_key, output)

    assert_one_clear_line(ran, mentions="does not exist: run `sealdrop init` first")
    assert not database.exists()
    assert list(output.iterdir()) == []
