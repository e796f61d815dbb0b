"""Caps that keep a few requests from holding every thread: one session's uploads, and logins.

The server caps uploads per worker for everyone; the caps here are per process, in memory only:
nothing about who uploads or logs in when is written anywhere.
"""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from collections.abc import Iterator

from flask import Flask
from flask_babel import gettext as _
from werkzeug.exceptions import ServiceUnavailable

RETRY_AFTER_SECONDS = 30
# Requests that run scrypt (log in, get a codename) at once per process: two derive while two
# wait their turn. Beyond that a flood of logins would hold the threads pages need.
KDF_REQUESTS = 4
KDF_RETRY_AFTER_SECONDS = 5


class UploadSlots:
    def __init__(self, per_session: int) -> None:
        self._per_session = per_session
        self._held: Counter[str] = Counter()
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def hold(self, session_id: str) -> Iterator[None]:
        """One slot for the length of the block, or 503 at once when the session has none left."""
        with self._lock:
            if self._held[session_id] >= self._per_session:
                raise ServiceUnavailable(
                    _("You are already sending files. Wait until they are done, then send more."),
                    retry_after=RETRY_AFTER_SECONDS,
                )
            self._held[session_id] += 1
        try:
            yield
        finally:
            with self._lock:
                self._held[session_id] -= 1
                if not self._held[session_id]:
                    del self._held[session_id]


class KdfGate:
    """At most `limit` codename derivations running or waiting; the next gets 503 at once."""

    def __init__(self, limit: int) -> None:
        self._free = threading.BoundedSemaphore(limit)

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        if not self._free.acquire(blocking=False):
            raise ServiceUnavailable(
                _("Many people are logging in right now. Please try again in a few seconds."),
                retry_after=KDF_RETRY_AFTER_SECONDS,
            )
        try:
            yield
        finally:
            self._free.release()


def install(app: Flask, *, per_session: int) -> None:
    app.extensions["sealdrop_upload_slots"] = UploadSlots(per_session)
    app.extensions["sealdrop_kdf_gate"] = KdfGate(KDF_REQUESTS)


def kdf_gate(app: Flask) -> KdfGate:
    gate: KdfGate = app.extensions["sealdrop_kdf_gate"]
    return gate


def upload_slots(app: Flask) -> UploadSlots:
    slots: UploadSlots = app.extensions["sealdrop_upload_slots"]
    return slots
