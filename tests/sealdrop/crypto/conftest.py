"""A fresh server keyring per test, shared by the GnuPG wrapper's test modules."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from sealdrop.crypto.gpg import Gpg


@pytest.fixture
def server_gpg() -> Iterator[Gpg]:
    """A server keyring, as in a data directory: empty until a test imports or generates keys."""
    home = Path(tempfile.mkdtemp(prefix="sds-")) / "gpg"
    gpg = Gpg(home)
    try:
        yield gpg
    finally:
        gpg.close()
        shutil.rmtree(home.parent, ignore_errors=True)
