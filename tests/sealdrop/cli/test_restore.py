"""`sealdrop restore` and `restore-drill` on damaged, tampered or truncated archives, and the
admin's ways to decrypt: each refusal is one line, and nothing is replaced.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from sealdrop.services.backup_format import MANIFEST_NAME
from tests.cli_runner import Ran, Sealdrop, as_a_process, assert_one_clear_line, full_env
from tests.harness import ReaderKeys
from tests.sealdrop.backup_helpers import (
    back_up,
    data_dir,
    decrypt_argv,
    files_of,
    flip_byte,
    rewrite_tar,
)


def drill_tar(sealdrop: Sealdrop, tar: Path, tmp_path: Path) -> Ran:
    return sealdrop({}, "restore-drill", "--from-tar", str(tar), "--scratch-dir", str(tmp_path))


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
    sealdrop: Sealdrop, archive: Path, plain_tar: Path, admin_keys: ReaderKeys, tmp_path: Path
) -> None:
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

    with tarfile.open(plain_tar) as opened:
        manifest_at = opened.getmember(MANIFEST_NAME).offset_data
    plain = plain_tar.read_bytes()
    for size in (len(plain) // 2, manifest_at + 10):  # mid-file; the manifest cut off
        short = tmp_path / "short.tar"
        short.write_bytes(plain[:size])
        ran = drill_tar(sealdrop, short, tmp_path)
        assert_one_clear_line(ran, mentions="truncated")


def occupied(target: Path) -> Path:
    """A live data directory's stand-in: a directory holding one file a restore must keep."""
    target.mkdir()
    (target / "keep.txt").write_text("precious")
    return target


def test_restore_refuses_a_non_empty_target_unless_forced(
    sealdrop: Sealdrop, plain_tar: Path, tmp_path: Path
) -> None:
    target = occupied(tmp_path / "busy")

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
    target = occupied(tmp_path / "live")
    short = tmp_path / "short.tar"
    short.write_bytes(plain_tar.read_bytes()[:100_000])

    ran = sealdrop({}, "restore", "--from-tar", str(short), "--to", str(target), "--force")

    assert_one_clear_line(ran, mentions="truncated")
    assert [p.name for p in target.iterdir()] == ["keep.txt"]
    assert [p.name for p in tmp_path.iterdir() if "live" in p.name] == ["live"]


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


@pytest.mark.server
def test_restore_from_the_admins_pipe(
    populated_env: dict[str, str], admin_key: Path, admin_keys: ReaderKeys, tmp_path: Path
) -> None:
    # Given an archive, when the admin decrypts it on their workstation and pipes the tar in
    # (`gpg --decrypt ARCHIVE | ssh server sealdrop restore --from-tar - --to DIR`):
    archive = back_up(as_a_process, populated_env, admin_key, tmp_path / "backups")
    target = tmp_path / "restored"
    gpg = subprocess.Popen(decrypt_argv(admin_keys, archive), stdout=subprocess.PIPE)
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
    assert files_of(target) == files_of(data_dir(populated_env))


def test_restore_with_a_home_that_lacks_the_key_says_so(
    sealdrop: Sealdrop, archive: Path, reader_keys: ReaderKeys, tmp_path: Path
) -> None:
    target = tmp_path / "restored"

    ran = sealdrop(
        {}, "restore", str(archive), "--gnupghome", str(reader_keys.gpg.home), "--to", str(target)
    )

    assert_one_clear_line(ran, mentions="gpg could not decrypt the archive")
    assert not target.exists()
