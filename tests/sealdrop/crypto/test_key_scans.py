"""The process's cache of key listings: shared by every Gpg, bounded, and one gpg run a key."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from sealdrop.crypto.gpg import Gpg
from sealdrop.crypto.key_scans import Listing, ScanCache
from sealdrop.crypto.scratch import DEFAULT_SCRATCH
from sealdrop.domain.keys import Fingerprint, PublicKey
from sealdrop.errors import EncryptionFailed, KeyImportError
from tests.gpg_keys import key_fingerprint, keyring, run_gpg
from tests.harness import ReaderKeys

HOUR, DAY = 3600, 86400


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


def test_threads_sharing_the_cache_each_get_their_own_texts_listing() -> None:
    cache, scan = ScanCache(size=4), Counted()

    def ask(worker: int) -> bool:
        texts = [f"{(worker * 7 + n) % 12}" for n in range(200)]
        return all(cache.get("gpg", text, scan) == [{"text": text}] for text in texts)

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert all(pool.map(ask, range(8)))
    assert len(cache) == 4


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


@pytest.fixture(scope="module")
def subkey_expiring() -> Iterator[tuple[PublicKey, float]]:
    """A key that never expires whose one encryption subkey expires in an hour, and when."""
    now = int(time.time())
    with keyring() as home:
        made = ["--passphrase", "", "--faked-system-time"]
        uid = "Subkey expiring <e@example.org>"
        run_gpg(home, *made, str(now - 2 * DAY), "--quick-gen-key", uid, "ed25519", "sign", "never")
        fingerprint = key_fingerprint(home, uid)
        subkey = ["--quick-add-key", fingerprint, "cv25519", "encr", "1d"]
        run_gpg(home, *made, str(now - DAY + HOUR), *subkey)
        key = PublicKey(Fingerprint(fingerprint), run_gpg(home, "--armor", "--export", uid))
        yield key, now + HOUR


@pytest.fixture
def scratch() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="sdk-", dir=DEFAULT_SCRATCH))
    yield folder
    shutil.rmtree(folder)


def test_a_cached_listing_is_judged_at_the_moment_asked(
    scratch: Path, subkey_expiring: tuple[PublicKey, float]
) -> None:
    # gpg judged the subkey usable when it listed the key; the listing is kept for the process,
    # so an answer later, or for a later moment, must check the subkey's expiry itself.
    key, expires = subkey_expiring
    today = Gpg(scratch)
    assert today.inspect_public_key(key.armored).fingerprint == key.fingerprint
    later = Gpg(scratch, clock=lambda: expires + 60)
    with pytest.raises(EncryptionFailed):  # gpg, asked then, refuses
        later.encrypt_bytes(b"x", [key], scratch / "out.gpg")
    with pytest.raises(KeyImportError):
        later.inspect_public_key(key.armored)
    with pytest.raises(KeyImportError):
        today.check_usable(key, at=expires + 60)
