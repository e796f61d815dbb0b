"""A cap on the uploads one source session streams at once, so no source holds every slot.

The server caps uploads per worker for everyone; this cap is per session, in this process's
memory only: nothing about who uploads when is written anywhere.
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


def install(app: Flask, *, per_session: int) -> None:
    app.extensions["sealdrop_upload_slots"] = UploadSlots(per_session)


def upload_slots(app: Flask) -> UploadSlots:
    slots: UploadSlots = app.extensions["sealdrop_upload_slots"]
    return slots
