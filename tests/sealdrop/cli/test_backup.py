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
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sealdrop.config import load_config
from sealdrop.runtime.instance import open_instance
from sealdrop.services.backup_format import MANIFEST_NAME
from sealdrop.services.submissions import accept_message
from tests.cli_runner import Ran, Sealdrop, as_a_process, full_env
from tests.harness import TODAY, ConfigFactory, OddKeys, ReaderKeys, new_source
from tests.sealdrop.cli.backup_helpers import (
    DATABASE,
    copy_instance,
    decrypt,
    files_of,
    flip_byte,
    modes_of,
    populated_template,
    rewrite_tar,
    rows_of,
)
from tests.sealdrop.cli.test_main import assert_one_clear_line
from tests.sealdrop.services.submission_helpers import upload

ARCHIVE_NAME = re.compile(r"^sealdrop-backup-\d{8}T\d{6}Z\.tar\.gpg$")


@pytest.fixture(scope="module")
def template(reader_keys: ReaderKeys) -> Iterator[dict[str, str]]:
    """An instance made by `sealdrop init` and populated once for this module's tests."""
    base = Path(tempfile.mkdtemp(prefix="sdb-"))  # short: gpg sockets live under it
    try:
        yield populated_template(base, reader_keys)
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def env(template: dict[str, str], make_config: ConfigFactory) -> dict[str, str]:
    """A copy of the populated instance: 3 sources, 6 submissions, 3 replies, 3 journalists."""
    return copy_instance(template, make_config.base)


@pytest.fixture
def admin_key(tmp_path: Path, admin_keys: ReaderKeys) -> Path:
    path = tmp_path / "admin.asc"
    path.write_text(admin_keys.public_key)
    return path


def back_up(sealdrop: Sealdrop, env: dict[str, str], admin_key: Path, output: Path) -> Path:
    output.mkdir(exist_ok=True)
    ran = sealdrop(env, "backup", "--output", str(output), "--recipient-key", str(admin_key))
    assert ran.code == 0, ran.stderr
    path = Path(ran.stdout.splitlines()[0])
    assert ran.stdout.splitlines()[1].startswith("sha256 ")
    return path


def data_dir(env: dict[str, str]) -> Path:
    return Path(env["SEALDROP_DATA_DIR"])


def test_backup_then_restore_gives_every_byte_and_row(
    sealdrop: Sealdrop,
    env: dict[str, str],
    admin_key: Path,
    admin_keys: ReaderKeys,
    tmp_path: Path,
) -> None:
    # Given a populated instance, when it is backed up:
    output = tmp_path / "backups"
    output.mkdir()
    ran = sealdrop(env, "backup", "--output", str(output), "--recipient-key", str(admin_key))

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
    source = data_dir(env)
    assert files_of(target) == files_of(source)
    assert "onion/journalist/authorized_clients/alice-laptop.auth" in files_of(target)
    assert len([n for n in files_of(target) if n.startswith("store/")]) == 9
    assert rows_of(f"sqlite:///{target / DATABASE}") == rows_of(f"sqlite:///{source / DATABASE}")
    assert modes_of(target) <= {0o700, 0o600}
    # And the restored instance passes its own check.
    checked = sealdrop({**env, "SEALDROP_DATA_DIR": str(target)}, "check")
    assert checked.code == 0, checked.stdout


def test_restore_decrypting_with_the_admins_home(
    sealdrop: Sealdrop,
    env: dict[str, str],
    admin_key: Path,
    admin_keys: ReaderKeys,
    tmp_path: Path,
) -> None:
    archive = back_up(sealdrop, env, admin_key, tmp_path / "backups")
    target = tmp_path / "restored"

    ran = sealdrop(
        {}, "restore", str(archive), "--gnupghome", str(admin_keys.gpg.home), "--to", str(target)
    )

    assert ran.code == 0, ran.stderr
    assert f"restored 18 files into {target}" in ran.stdout
    assert files_of(target) == files_of(data_dir(env))


def test_the_drill_passes_and_reports_counts(
    sealdrop: Sealdrop,
    env: dict[str, str],
    admin_key: Path,
    admin_keys: ReaderKeys,
    tmp_path: Path,
) -> None:
    archive = back_up(sealdrop, env, admin_key, tmp_path / "backups")
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


def drill_tar(sealdrop: Sealdrop, tar: Path, tmp_path: Path) -> Ran:
    return sealdrop({}, "restore-drill", "--from-tar", str(tar), "--scratch-dir", str(tmp_path))


@pytest.fixture
def plain_tar(
    sealdrop: Sealdrop,
    env: dict[str, str],
    admin_key: Path,
    admin_keys: ReaderKeys,
    tmp_path: Path,
) -> Path:
    archive = back_up(sealdrop, env, admin_key, tmp_path / "backups")
    return decrypt(admin_keys, archive, tmp_path / "backup.tar")


def test_the_drill_fails_on_a_flipped_byte_in_a_stored_file(
    sealdrop: Sealdrop, plain_tar: Path, tmp_path: Path
) -> None:
    with tarfile.open(plain_tar) as tar:
        name = next(m.name for m in tar if m.name.endswith("-doc.gz.gpg"))
        data = tar.extractfile(name).read()  # type: ignore[union-attr]
    tampered = rewrite_tar(plain_tar, tmp_path / "t.tar", {name: flip_byte(data, 100)})

    ran = drill_tar(sealdrop, tampered, tmp_path)

    assert_one_clear_line(ran, mentions=f"{name}: its sha256 or size differs from the manifest")
    assert "drill passed" not in ran.stdout


def test_the_drill_fails_on_a_tampered_manifest(
    sealdrop: Sealdrop, plain_tar: Path, tmp_path: Path
) -> None:
    with tarfile.open(plain_tar) as tar:
        manifest = tar.extractfile(MANIFEST_NAME).read()  # type: ignore[union-attr]
    # One digit of one sha256, then one count: each is caught.
    digest_at = manifest.index(b'"sha256": "') + len(b'"sha256": "')
    for tampered_manifest, mentions in [
        (flip_byte(manifest, digest_at), "differs from the manifest"),
        (manifest.replace(b'"sources": 3', b'"sources": 4'), "sources: 3 rows restored"),
    ]:
        tampered = rewrite_tar(plain_tar, tmp_path / "t.tar", {MANIFEST_NAME: tampered_manifest})
        ran = drill_tar(sealdrop, tampered, tmp_path)
        assert ran.code != 0
        assert mentions in ran.stdout + ran.stderr
        assert "Traceback" not in ran.stderr


def test_the_drill_fails_on_a_truncated_archive(
    sealdrop: Sealdrop,
    env: dict[str, str],
    admin_key: Path,
    admin_keys: ReaderKeys,
    tmp_path: Path,
) -> None:
    archive = back_up(sealdrop, env, admin_key, tmp_path / "backups")
    data = archive.read_bytes()
    cut = tmp_path / "cut.tar.gpg"
    cut.write_bytes(data[: len(data) * 2 // 3])
    flipped = tmp_path / "flipped.tar.gpg"
    flipped.write_bytes(flip_byte(data, len(data) // 2))
    home = str(admin_keys.gpg.home)

    for damaged in (cut, flipped):
        ran = sealdrop({}, "restore-drill", str(damaged), "--gnupghome", home)
        assert_one_clear_line(ran, mentions="")
        assert "drill passed" not in ran.stdout

    tar = decrypt(admin_keys, archive, tmp_path / "backup.tar")
    with tarfile.open(tar) as opened:
        manifest_at = opened.getmember(MANIFEST_NAME).offset_data
    plain = tar.read_bytes()
    for size in (len(plain) // 2, manifest_at + 10):  # mid-file; the manifest cut off
        short = tmp_path / "short.tar"
        short.write_bytes(plain[:size])
        ran = drill_tar(sealdrop, short, tmp_path)
        assert_one_clear_line(ran, mentions="truncated")


def test_restore_refuses_a_non_empty_target_unless_forced(
    sealdrop: Sealdrop, plain_tar: Path, tmp_path: Path
) -> None:
    target = tmp_path / "busy"
    target.mkdir()
    (target / "keep.txt").write_text("precious")

    refused = sealdrop({}, "restore", "--from-tar", str(plain_tar), "--to", str(target))
    assert_one_clear_line(refused, mentions="is not empty: add --force")
    assert [p.name for p in target.iterdir()] == ["keep.txt"]

    forced = sealdrop({}, "restore", "--from-tar", str(plain_tar), "--to", str(target), "--force")
    assert forced.code == 0, forced.stderr
    [kept] = tmp_path.glob("busy.replaced-*")
    assert (kept / "keep.txt").read_text() == "precious"
    assert (target / "secrets.toml").exists()
    assert not list(tmp_path.glob(".busy.restoring-*"))


def test_a_damaged_archive_replaces_nothing(
    sealdrop: Sealdrop, plain_tar: Path, tmp_path: Path
) -> None:
    target = tmp_path / "live"
    target.mkdir()
    (target / "keep.txt").write_text("precious")
    short = tmp_path / "short.tar"
    short.write_bytes(plain_tar.read_bytes()[:100_000])

    ran = sealdrop({}, "restore", "--from-tar", str(short), "--to", str(target), "--force")

    assert_one_clear_line(ran, mentions="truncated")
    assert [p.name for p in target.iterdir()] == ["keep.txt"]
    assert [p.name for p in tmp_path.iterdir() if "live" in p.name] == ["live"]


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
    env: dict[str, str],
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
    output.mkdir()

    ran = sealdrop(env, "backup", "--output", str(output), "--recipient-key", str(key))

    assert_one_clear_line(ran, mentions=mentions)
    assert list(output.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "mentions"),
    [
        (["restore", "--to", "{tmp}/x"], "--gnupghome DIR"),
        (
            ["restore", "{tmp}/none.tar.gpg", "--gnupghome", "{tmp}", "--to", "{tmp}/x"],
            "cannot read",
        ),
        (["restore", "--from-tar", "{tmp}/none.tar", "--to", "{tmp}/x"], "cannot read"),
        (["restore-drill", "--from-tar", "{tmp}/hello.txt"], "truncated or damaged"),
    ],
)
def test_restore_bad_input_is_one_line(
    sealdrop: Sealdrop, tmp_path: Path, args: list[str], mentions: str
) -> None:
    (tmp_path / "hello.txt").write_text("not a tar at all\n" * 100)
    ran = sealdrop({}, *[arg.format(tmp=tmp_path) for arg in args])
    assert_one_clear_line(ran, mentions=mentions)


def test_backup_into_a_missing_directory_is_one_line(
    sealdrop: Sealdrop, env: dict[str, str], admin_key: Path, tmp_path: Path
) -> None:
    ran = sealdrop(
        env, "backup", "--output", str(tmp_path / "nope"), "--recipient-key", str(admin_key)
    )
    assert_one_clear_line(ran, mentions="is not a directory")


def test_a_backup_while_submissions_are_written_is_consistent(
    sealdrop: Sealdrop,
    env: dict[str, str],
    admin_key: Path,
    admin_keys: ReaderKeys,
    reader_keys: ReaderKeys,
    tmp_path: Path,
) -> None:
    # Given an upload half written (staged, never finished) and a source sending message after
    # message while the backup runs:
    inst = open_instance(load_config(env))
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
            archive = back_up(sealdrop, env, admin_key, tmp_path / "backups")
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


@pytest.mark.server
def test_restore_from_the_admins_pipe(
    env: dict[str, str], admin_key: Path, admin_keys: ReaderKeys, tmp_path: Path
) -> None:
    # Given an archive, when the admin decrypts it on their workstation and pipes the tar in
    # (`gpg --decrypt ARCHIVE | ssh server sealdrop restore --from-tar - --to DIR`):
    archive = back_up(as_a_process, env, admin_key, tmp_path / "backups")
    target = tmp_path / "restored"
    gpg = subprocess.Popen(
        [
            "gpg",
            "--homedir",
            str(admin_keys.gpg.home),
            "--batch",
            "--quiet",
            "--decrypt",
            str(archive),
        ],
        stdout=subprocess.PIPE,
    )
    restored = subprocess.run(
        [sys.executable, "-m", "sealdrop.cli", "restore", "--from-tar", "-", "--to", str(target)],
        stdin=gpg.stdout,
        env=full_env({}),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert gpg.stdout is not None
    gpg.stdout.close()
    assert gpg.wait(timeout=30) == 0

    # Then the data directory is back, byte for byte.
    assert restored.returncode == 0, restored.stderr
    assert files_of(target) == files_of(data_dir(env))


def test_restore_with_a_home_that_lacks_the_key_says_so(
    sealdrop: Sealdrop,
    env: dict[str, str],
    admin_key: Path,
    reader_keys: ReaderKeys,
    tmp_path: Path,
) -> None:
    archive = back_up(sealdrop, env, admin_key, tmp_path / "backups")
    target = tmp_path / "restored"

    ran = sealdrop(
        {}, "restore", str(archive), "--gnupghome", str(reader_keys.gpg.home), "--to", str(target)
    )

    assert_one_clear_line(ran, mentions="gpg could not decrypt the archive")
    assert not target.exists()


def test_the_database_snapshot_stays_in_the_ram_scratch_and_goes(
    sealdrop: Sealdrop, env: dict[str, str], admin_key: Path, tmp_path: Path
) -> None:
    # Given a scratch directory of its own on the tmpfs, and one on a disk:
    scratch = Path(tempfile.mkdtemp(prefix="sds-", dir="/dev/shm"))
    on_disk = Path(tempfile.mkdtemp(prefix="sds-", dir="/var/tmp"))
    output = tmp_path / "backups"
    output.mkdir()
    try:
        backed_up = sealdrop(
            {**env, "SEALDROP_GPG_SCRATCH_DIR": str(scratch)},
            "backup",
            "--output",
            str(output),
            "--recipient-key",
            str(admin_key),
        )
        # Then the backup leaves nothing in the scratch, and the output holds only the archive.
        assert backed_up.code == 0, backed_up.stderr
        assert list(scratch.iterdir()) == []
        assert [p.suffix for p in output.iterdir()] == [".gpg"]
        # And a scratch directory on a disk is refused before anything is written.
        refused = sealdrop(
            {**env, "SEALDROP_GPG_SCRATCH_DIR": str(on_disk)},
            "backup",
            "--output",
            str(on_disk),
            "--recipient-key",
            str(admin_key),
        )
        assert_one_clear_line(refused, mentions="not in RAM")
        assert list(on_disk.iterdir()) == []
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        shutil.rmtree(on_disk, ignore_errors=True)
