"""Fixtures of the backup tests: a populated instance made once a module, copied per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.harness import ConfigFactory, ReaderKeys
from tests.sealdrop.backup_helpers import copy_instance


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
