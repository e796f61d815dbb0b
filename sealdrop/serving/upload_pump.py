"""An upload's body, streamed from the socket into the app's pipe as it arrives, and cut when it
stalls, falls below the minimum rate, or the client goes away."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

import h11

from sealdrop.serving.body import BodyPipe
from sealdrop.serving.limits import METER_TICK_SECONDS, READ_BYTES, RateMeter


class UploadPump:
    """Feeds one upload body to `pipe`; `cut` drops the pipe and the connection at once."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        protocol: h11.Connection,
        *,
        idle_timeout: float,
        cut: Callable[[], None],
    ) -> None:
        self.reader = reader
        self.h11 = protocol
        self.idle_timeout = idle_timeout
        self.cut = cut
        self.loop = asyncio.get_running_loop()
        self._last_data = self.loop.time()  # when the upload last sent something

    async def run(self, pipe: BodyPipe, limit: int, meter: RateMeter, length: int | None) -> bool:
        """Stream the body into `pipe`; True once it arrived whole. A stalled, too slow,
        oversized or abandoned upload is cut: the app's next read fails and it keeps nothing."""
        received = 0
        self._last_data = self.loop.time()
        try:
            while True:  # through h11: a chunked body, or what h11 already holds of the others
                event = self.h11.next_event()
                if isinstance(event, h11.Data):
                    room = limit - received
                    received += len(event.data)
                    await pipe.put(event.data[: max(room, 0)])
                    if received > limit:
                        # The app stops at the same limit and answers 413 itself; wait for it.
                        await asyncio.Event().wait()
                elif isinstance(event, h11.EndOfMessage):
                    pipe.finish()
                    return True
                elif event is h11.NEED_DATA and length is None:
                    self.h11.receive_data(await self._tick(meter, READ_BYTES))
                elif event is h11.NEED_DATA:
                    break
                else:
                    raise ConnectionResetError("the client went away mid-upload")
            # The rest of a body of known length comes straight from the socket: h11 would copy
            # each byte three more times. It never sees the end, so the connection then closes.
            remaining = (length or 0) - received
            while remaining > 0:
                data = await self._tick(meter, min(READ_BYTES, remaining))
                remaining -= len(data)
                await pipe.put(data)
            pipe.finish()
            return True
        except (TimeoutError, ConnectionError, h11.RemoteProtocolError):
            self.cut()
            return False
        finally:
            pipe.cut()  # no effect once finished; otherwise the app must not wait on a dead body

    async def _tick(self, meter: RateMeter, size: int) -> bytes:
        """Wait up to a tick for upload data (b"" if none came); a silent tick is judged too."""
        started, data = self.loop.time(), b""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(METER_TICK_SECONDS):
                data = await self.reader.read(size)
            if not data:
                raise ConnectionResetError("the client went away mid-upload")
        now = self.loop.time()
        self._last_data = now if data else self._last_data
        meter.record(now - started, len(data))
        if now - self._last_data > self.idle_timeout:
            raise TimeoutError("no data for too long")
        if meter.too_slow():
            raise TimeoutError("below the minimum upload rate")
        return data
