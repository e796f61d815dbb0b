"""Fixtures of the backup tests: a copy of the populated instance, the admin's key, a backup
of that copy and its tar as the admin decrypts it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_runner import Sealdrop
from tests.harness import ConfigFactory, ReaderKeys
from tests.sealdrop.backup_helpers import back_up, copy_instance, decrypt


@pytest.fixture
def populated_env(backup_template: dict[str, str], make_config: ConfigFactory) -> dict[str, str]:
    """A copy of the populated instance: 3 sources, 6 submissions, 3 replies, 3 journalists."""
    return copy_instance(backup_template, make_config.base)


@pytest.fixture
def admin_key(tmp_path: Path, admin_keys: ReaderKeys) -> Path:
    """The admin's public key as `--recipient-key` takes it: an armored file."""
    path = tmp_path / "admin.asc"
    path.write_text(admin_keys.public_key)
    return path


@pytest.fixture
def archive(
    sealdrop: Sealdrop, populated_env: dict[str, str], admin_key: Path, tmp_path: Path
) -> Path:
    """A backup of `populated_env`, made by `sealdrop backup` (each way the fixture runs it)."""
    return back_up(sealdrop, populated_env, admin_key, tmp_path / "backups")


@pytest.fixture
def plain_tar(archive: Path, admin_keys: ReaderKeys, tmp_path: Path) -> Path:
    """That backup decrypted with the admin's key: the plain tar restore takes."""
    return decrypt(admin_keys, archive, tmp_path / "backup.tar")
