"""The private Tor network, started once for all tor tests of a run (about 0.3 GB, 10-90 s),
and an instance with its onion keys for each module's tests to publish in turn."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.harness import ReaderKeys
from tests.onion.tor_helpers import OnionSite, onion_site
from tests.tornet import Network, private_network


@pytest.fixture(scope="session")
def tor_network() -> Iterator[Network]:
    with private_network() as net:
        yield net


@pytest.fixture(scope="module")
def site(reader_keys: ReaderKeys) -> Iterator[OnionSite]:
    with onion_site(reader_keys) as made:
        yield made
