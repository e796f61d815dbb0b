"""A server-side Gpg per test, working in a scratch directory of its own in RAM."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from sealdrop.crypto.gpg import Gpg
from sealdrop.crypto.scratch import DEFAULT_SCRATCH


@pytest.fixture
def server_gpg() -> Iterator[Gpg]:
    """Gpg whose throwaway homes go under a fresh folder of /dev/shm, to see what they leave."""
    scratch = Path(tempfile.mkdtemp(prefix="sds-", dir=DEFAULT_SCRATCH))
    try:
        yield Gpg(scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
