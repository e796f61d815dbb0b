"""The converge, once a session: the modules of test_converge*.py all look at the same root
(about 5 minutes to make). test_converge_postgresql.py makes a root of its own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ansible.converged import Converged, converge


@pytest.fixture(scope="session")
def converged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Converged]:
    with converge(Path(tmp_path_factory.mktemp("converge"))) as done:
        yield done
