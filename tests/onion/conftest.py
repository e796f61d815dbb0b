"""The private Tor network, started once for all tor tests of a run (about 0.3 GB, 10-90 s)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.tornet import Network, private_network


@pytest.fixture(scope="session")
def tor_network() -> Iterator[Network]:
    with private_network() as net:
        yield net
