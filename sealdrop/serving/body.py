"""An upload body on its way from the event loop to the app's thread, a few chunks at a time.

The loop puts what the socket delivers; the thread reads it as `wsgi.input`. The buffer is small
and bounded: when it is full the loop stops reading the socket, so the client is held back by TCP
and no upload is ever buffered whole, in memory or on disk.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any

PIPE_BYTES = 512 * 1024


class UploadCut(ConnectionAbortedError):
    """The server cut the upload (too slow, stalled, too large, or the client went away)."""


class UploadsBusy(Exception):
    """No upload slot was free when the app began to read the body: the app answers 503.

    Neither an OSError nor a ValueError, which Werkzeug would take for a client that went away.
    """


class BodyPipe:
    """`start`, when given, runs on the loop at the app's first read and says whether the body
    may flow: the upload takes its slot only once the app wants the body, so a request the app
    refuses unread (no session, a bad token, a wrong Host) never takes a slot from anyone."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        capacity: int = PIPE_BYTES,
        start: Callable[[], Coroutine[Any, Any, bool]] | None = None,
    ) -> None:
        self._loop = loop
        self._start = start
        self._capacity = capacity
        # Whole chunks as the socket gave them: handing them on costs no copy.
        self._chunks: deque[bytes] = deque()
        self._size = 0
        self._ended = False
        self._cut = False
        self._ready = threading.Condition()
        self._room = asyncio.Event()
        self._room.set()
        self._loop_waits = False

    # --- the event loop's side ---

    async def put(self, data: bytes) -> None:
        """Wait until there is room, then hand `data` over; never blocks the loop."""
        while True:
            with self._ready:
                if self._cut:
                    return
                if self._size < self._capacity:
                    if data:
                        self._chunks.append(data)
                        self._size += len(data)
                    self._ready.notify()
                    return
                self._room.clear()
                self._loop_waits = True
            await self._room.wait()

    def ended(self) -> bool:
        """True once the whole body arrived (the app may still be reading or storing it)."""
        with self._ready:
            return self._ended

    def has_room(self) -> bool:
        with self._ready:
            return self._size < self._capacity

    def finish(self) -> None:
        with self._ready:
            self._ended = True
            self._ready.notify_all()

    def cut(self) -> None:
        """The thread's next read fails, so the app wipes whatever it staged and stores nothing."""
        with self._ready:
            if not self._ended:
                self._cut = True
                self._chunks.clear()
                self._size = 0
            self._ready.notify_all()

    # --- the app thread's side (the WSGI input stream) ---

    def _started(self) -> None:
        """On the first read: ask the loop to start the body, or raise UploadsBusy."""
        start, self._start = self._start, None
        if start is None:
            return
        if not asyncio.run_coroutine_threadsafe(start(), self._loop).result():
            raise UploadsBusy("every upload slot is taken")

    def read(self, size: int | None = -1, /) -> bytes:
        """Up to `size` bytes, b"" at the end; like a socket, it may return fewer than asked
        (never a whole upload at once, whatever the caller asks)."""
        self._started()
        with self._ready:
            while not self._chunks and not self._ended and not self._cut:
                self._ready.wait()
            if self._cut:
                # An exception, not an early EOF: with a chunked body an early EOF would look
                # like the end of the body, and a truncated upload must never look complete.
                raise UploadCut("the upload was cut off")
            if not self._chunks or size == 0:
                return b""
            out = self._chunks.popleft()
            if size is not None and 0 <= size < len(out):
                out, rest = out[:size], out[size:]
                self._chunks.appendleft(rest)
            self._size -= len(out)
            wake, self._loop_waits = self._loop_waits, False
        if wake:
            self._loop.call_soon_threadsafe(self._room.set)
        return out

    def readline(self, size: int | None = -1, /) -> bytes:
        # The multipart parser never calls this; WSGI requires it. A line ends at a chunk's end
        # at the latest: a short read, which callers of a stream must accept anyway.
        self._started()
        with self._ready:
            while not self._chunks and not self._ended and not self._cut:
                self._ready.wait()
            end = self._chunks[0].find(b"\n") + 1 if self._chunks else 0
        limit = end or -1
        if size is not None and size >= 0:
            limit = size if limit < 0 else min(limit, size)
        return self.read(limit)

    def __iter__(self) -> BodyPipe:
        return self

    def __next__(self) -> bytes:
        line = self.readline()
        if not line:
            raise StopIteration
        return line
