"""What gpg says of a public key's text, kept for the process.

The listing depends only on the text and the gpg binary, so one cache serves every `Gpg` a
process makes: a server checks the same few reader keys at every upload, and the tests open
hundreds of instances on the same keys.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

Listing = list[dict[str, Any]]
# Room for every reader key an instance holds and the source keys of a busy hour's replies.
SCANS_KEPT = 64


class ScanCache:
    """The last `size` listings, by (gpg binary, key text); safe to share between threads."""

    def __init__(self, size: int = SCANS_KEPT) -> None:
        self._size = size
        self._listings: OrderedDict[tuple[str, str], Listing] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, binary: str, armored: str, scan: Callable[[str], Listing]) -> Listing:
        """The listing of `armored`, from `scan` the first time (outside the lock: two threads
        may both scan a new key, and gpg's answer is the same)."""
        key = (binary, armored)
        with self._lock:
            listing = self._listings.get(key)
            if listing is not None:
                self._listings.move_to_end(key)
                return listing
        listing = scan(armored)
        with self._lock:
            self._listings[key] = listing
            self._listings.move_to_end(key)
            while len(self._listings) > self._size:
                self._listings.popitem(last=False)
        return listing

    def __len__(self) -> int:
        return len(self._listings)


SCANS = ScanCache()
