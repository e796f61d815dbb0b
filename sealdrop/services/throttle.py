"""Wrong-login throttles, kept in this process's memory only and only for their window.

Nothing of it reaches the database or the disk: a seized server shows no trace of login
attempts. Each web worker process counts its own attempts, so an instance with W workers lets
up to W times the configured numbers through; that bounds load, it is no defence against
guessing (a codename has about 90 bits, and each guess is a different codename).
Expired entries are dropped on time by a sweeper thread, not only when another event comes.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable

from sealdrop.errors import LoginThrottled


def codenames_throttled() -> LoginThrottled:
    return LoginThrottled(
        "Too many codenames were tried in the last minute. Wait a minute, then try again."
    )


class LoginThrottle:
    """Counts wrong codenames per typed codename and overall, over a sliding window."""

    def __init__(
        self,
        *,
        window_seconds: float,
        per_codename: int,
        overall: int,
        clock: Callable[[], float] = time.monotonic,
        refusal: Callable[[], LoginThrottled] = codenames_throttled,
    ) -> None:
        self.window = window_seconds
        self._refusal = refusal
        self._per_codename = per_codename
        self._overall = overall
        self._clock = clock
        # Keys are what was typed, hashed with a secret this process forgets at exit.
        self._salt = secrets.token_bytes(16)
        self._events: deque[tuple[float, bytes]] = deque()
        self._counts: dict[bytes, int] = {}
        self._lock = threading.Lock()
        self._sweeper: threading.Thread | None = None

    def _key(self, typed_id: str) -> bytes:
        return hashlib.blake2b(typed_id.encode(), key=self._salt, digest_size=16).digest()

    def check(self, typed_id: str) -> None:
        """LoginThrottled if this codename, or all codenames together, failed too often lately."""
        with self._lock:
            self._expire()
            if self._counts.get(self._key(typed_id), 0) >= self._per_codename:
                raise self._refusal()

    def record_failure(self, typed_id: str) -> None:
        """Count one wrong codename; LoginThrottled if the instance now had too many at once."""
        with self._lock:
            self._expire()
            key = self._key(typed_id)
            self._events.append((self._clock(), key))
            self._counts[key] = self._counts.get(key, 0) + 1
            too_many = len(self._events) > self._overall
            self._start_sweeper()
        if too_many:
            raise self._refusal()

    def __len__(self) -> int:
        with self._lock:
            return len(self._events)

    def sweep(self) -> None:
        """Drop every event older than the window (the sweeper calls this on its own)."""
        with self._lock:
            self._expire()

    def _expire(self) -> None:
        horizon = self._clock() - self.window
        while self._events and self._events[0][0] <= horizon:
            _, key = self._events.popleft()
            left = self._counts[key] - 1
            if left:
                self._counts[key] = left
            else:
                del self._counts[key]

    def _start_sweeper(self) -> None:
        if self._sweeper is None or not self._sweeper.is_alive():
            self._sweeper = threading.Thread(
                target=self._sweep_until_empty, daemon=True, name="login-throttle-sweeper"
            )
            self._sweeper.start()

    def _sweep_until_empty(self) -> None:
        while True:
            with self._lock:
                self._expire()
                if not self._events:
                    self._sweeper = None
                    return
                wait = self._events[0][0] + self.window - self._clock()
            time.sleep(max(wait, 0.01))
