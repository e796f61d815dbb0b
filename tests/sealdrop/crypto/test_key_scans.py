"""The process's cache of key listings: shared by every Gpg, bounded, and one gpg run a key."""

from __future__ import annotations

import tempfile
from pathlib import Path

from sealdrop.crypto.gpg import Gpg
from sealdrop.crypto.key_scans import Listing, ScanCache
from sealdrop.crypto.scratch import DEFAULT_SCRATCH
from tests.harness import ReaderKeys


class Counted:
    """A scan that answers from the text itself and counts how often it ran."""

    def __init__(self) -> None:
        self.runs: list[str] = []

    def __call__(self, armored: str) -> Listing:
        self.runs.append(armored)
        return [{"text": armored}]


def test_each_text_is_scanned_once_per_binary() -> None:
    cache, scan = ScanCache(size=4), Counted()
    assert cache.get("gpg", "a", scan) == [{"text": "a"}]
    assert cache.get("gpg", "a", scan) == [{"text": "a"}]
    assert cache.get("/other/gpg", "a", scan) == [{"text": "a"}]
    assert scan.runs == ["a", "a"]


def test_the_least_recently_used_text_goes_first() -> None:
    cache, scan = ScanCache(size=2), Counted()
    cache.get("gpg", "a", scan)
    cache.get("gpg", "b", scan)
    cache.get("gpg", "a", scan)  # a is now the most recent
    cache.get("gpg", "c", scan)  # so b goes
    assert len(cache) == 2
    cache.get("gpg", "a", scan)
    cache.get("gpg", "b", scan)
    assert scan.runs == ["a", "b", "c", "b"]


def test_a_second_gpg_reuses_the_first_ones_listing(reader_keys: ReaderKeys) -> None:
    scratches = [Path(tempfile.mkdtemp(prefix="sdk-", dir=DEFAULT_SCRATCH)) for _ in range(2)]
    first, second = (Gpg(scratch) for scratch in scratches)
    text = reader_keys.public_key + "\n"  # a text no other test scans
    assert first.inspect_public_key(text).fingerprint == reader_keys.fingerprint
    assert list(scratches[0].iterdir()) == []
    # Without its scratch folder the second cannot run gpg at all: only the cache can answer.
    scratches[0].rmdir()
    scratches[1].rmdir()
    assert second.inspect_public_key(text).fingerprint == reader_keys.fingerprint
