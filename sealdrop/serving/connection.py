"""One client connection on the worker's event loop: HTTP/1.1 with h11, deadlines at every step.

Reading a request head or a small body costs no thread; a thread is taken only once the request
is whole (or, for an upload, once its head arrived: the upload slot is taken when the app first
reads the body), so slow clients wait on the loop. An upload's body is streamed by
upload_pump.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
from functools import partial

import h11

from sealdrop.serving.body import BodyPipe
from sealdrop.serving.bridge import InputStream, Responder, make_environ, path_of, run_app
from sealdrop.serving.limits import (
    HEADER_BYTES,
    LINGER_BYTES,
    LINGER_SECONDS,
    READ_BYTES,
    REFUSED_KEY,
    RateMeter,
)
from sealdrop.serving.shared import Shared
from sealdrop.serving.slots import Upload
from sealdrop.serving.upload_pump import UploadPump

log = logging.getLogger(__name__)


class Connection:
    def __init__(
        self, shared: Shared, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.shared = shared
        self.limits = shared.limits
        self.reader = reader
        self.writer = writer
        self.loop = asyncio.get_running_loop()
        self.h11 = h11.Connection(h11.SERVER, max_incomplete_event_size=HEADER_BYTES)
        name = writer.get_extra_info("sockname")
        # A unix socket has no host or port; WSGI wants both.
        tcp = isinstance(name, tuple)
        self.server = (str(name[0]), str(name[1])) if tcp else ("localhost", "80")

    async def serve(self) -> None:
        try:
            first = True
            while not self.shared.closing:
                request = await self._next_request(first=first)
                if request is None or not await self._handle(request):
                    return
                first = False
                self.h11.start_next_cycle()
        except h11.RemoteProtocolError as exc:
            await self._bare_error(exc.error_status_hint)
        except (TimeoutError, ConnectionError, h11.LocalProtocolError):
            self.writer.transport.abort()  # a deadline passed or the client misbehaved: no answer
        finally:
            self.shared.idle.discard(self.writer)
            self.writer.close()

    # --- reading ---

    async def _receive(self, timeout: float, size: int = READ_BYTES) -> int:
        async with asyncio.timeout(max(timeout, 0.0)):  # no extra task per read, unlike wait_for
            data = await self.reader.read(size)
        self.h11.receive_data(data)
        return len(data)

    async def _next_request(self, *, first: bool) -> h11.Request | None:
        """The next request head; between requests a connection may idle for the keep-alive time,
        and once the head has begun (at once, for a new connection) it must arrive whole in time."""
        try:
            return await self._read_head(first=first)
        finally:
            self.shared.heads.pop(self.writer, None)

    async def _read_head(self, *, first: bool) -> h11.Request | None:
        deadline = None
        if first:
            deadline = self.loop.time() + self.limits.header_timeout
            self.shared.heads[self.writer] = None
        while True:
            event = self.h11.next_event()
            if isinstance(event, h11.Request):
                # h11 bounds only a head still incomplete; one that arrived at once is measured.
                if _head_size(event) > HEADER_BYTES:
                    raise h11.RemoteProtocolError("request head too large", error_status_hint=431)
                return event
            if event is not h11.NEED_DATA:
                return None  # the client closed the connection
            if deadline is None:
                self.shared.idle.add(self.writer)
                try:
                    await self._receive(self.limits.keepalive_timeout, HEADER_BYTES)
                finally:
                    self.shared.idle.discard(self.writer)
                deadline = self.loop.time() + self.limits.header_timeout
                self.shared.heads[self.writer] = None
            else:
                await self._receive(deadline - self.loop.time(), HEADER_BYTES)

    async def _small_body(self, limit: int) -> bytes | None:
        """The whole body, in memory, under one deadline; None once it is over `limit`."""
        deadline = self.loop.time() + self.limits.body_timeout
        self._continue()
        body = bytearray()
        while True:
            event = self.h11.next_event()
            if isinstance(event, h11.Data):
                body += event.data
                if len(body) > limit:
                    return None
            elif isinstance(event, h11.EndOfMessage):
                return bytes(body)
            elif event is h11.NEED_DATA:
                await self._receive(deadline - self.loop.time())
            else:
                raise ConnectionResetError("the client went away mid-request")

    def _cut(self, pipe: BodyPipe) -> None:
        pipe.cut()
        self.writer.transport.abort()

    def _continue(self) -> None:
        if self.h11.they_are_waiting_for_100_continue:
            self.writer.write(self.h11.send(h11.InformationalResponse(status_code=100, headers=[])))

    # --- handling ---

    async def _handle(self, request: h11.Request) -> bool:
        """Answer one request; True when the connection may carry another."""
        path, _ = path_of(request.target)
        route = self.limits.route(request.method.decode("ascii", "replace"), path)
        length = _content_length(request)
        if length is not None and length > route.body_limit:
            return await self._refuse(request, 413)
        if route.upload and self.shared.slots.hopeless():
            # Refused by the refusal threads, as before the app ran: a flood of uploads at a full
            # house must not queue ahead of pages. It evicts no one, so it may come this early.
            return await self._refuse(request, 503)
        if route.upload:
            return await self._upload(request, length, route.body_limit)
        body = await self._small_body(route.body_limit)
        if body is None:
            return await self._refuse(request, 413)
        responder = await self._run(request, io.BytesIO(body), len(body), force_close=False)
        return responder.alive and self.h11.our_state is h11.DONE

    async def _run(
        self,
        request: h11.Request,
        body: InputStream,
        length: int | None,
        *,
        force_close: bool,
        refused: int | None = None,
    ) -> Responder:
        environ = make_environ(request, body=body, server=self.server, content_length=length)
        if refused is not None:
            environ[REFUSED_KEY] = refused
        responder = Responder(self.loop, self, force_close=force_close)
        executor = self.shared.executor if refused is None else self.shared.refusal_executor
        await self.loop.run_in_executor(executor, run_app, self.shared.app, environ, responder)
        return responder

    async def _upload(self, request: h11.Request, length: int | None, limit: int) -> bool:
        meter = RateMeter(self.limits.min_bytes_per_second, self.limits.rate_window)
        pumps: list[asyncio.Task[bool]] = []  # the pump, once the app asked for the body
        # `slot` is bound below: `start` runs only at the app's first read, in its thread.
        pipe = BodyPipe(self.loop, start=lambda: self._start_body(pipe, slot, pumps, limit, length))
        slot = Upload(meter, cut=partial(self._cut, pipe), ended=pipe.ended)
        try:
            responder = await self._run(request, pipe, length, force_close=length is not None)
        finally:
            self.shared.slots.release(slot)
        if not pumps or not pumps[0].done():
            # The app answered before the body ended: a refusal of its own, perhaps unread.
            for pump in pumps:
                pump.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await pump
            await self._linger()
            return False
        # A body of known length bypassed h11, whose answer then said "Connection: close".
        return pumps[0].result() and responder.alive and self.h11.our_state is h11.DONE

    async def _start_body(
        self,
        pipe: BodyPipe,
        slot: Upload,
        pumps: list[asyncio.Task[bool]],
        limit: int,
        length: int | None,
    ) -> bool:
        """At the app's first read: a slot (perhaps evicting a too slow upload), then the body
        flows. Without a slot the read raises UploadsBusy and the app answers 503 itself."""
        if not await self.shared.slots.take(slot):
            return False
        self._continue()
        pump = UploadPump(
            self.reader,
            self.h11,
            idle_timeout=self.limits.upload_idle_timeout,
            cut=partial(self._cut, pipe),
        )
        pumps.append(asyncio.create_task(pump.run(pipe, limit, slot.meter, length)))
        return True

    async def _refuse(self, request: h11.Request, status: int) -> bool:
        """The app words the refusal (in the visitor's language); its body is never read."""
        await self._run(request, io.BytesIO(b""), 0, force_close=True, refused=status)
        await self._linger()
        return False

    async def _linger(self) -> None:
        """Read and drop what the client still sends, for a short while, then close."""
        with contextlib.suppress(OSError, RuntimeError):
            if self.writer.can_write_eof():
                self.writer.write_eof()
        deadline = self.loop.time() + LINGER_SECONDS
        dropped = 0
        with contextlib.suppress(TimeoutError, ConnectionError):
            while dropped < LINGER_BYTES:
                data = await asyncio.wait_for(
                    self.reader.read(READ_BYTES), max(deadline - self.loop.time(), 0.0)
                )
                if not data:
                    return
                dropped += len(data)

    async def _bare_error(self, status: int) -> None:
        """A request too broken for the app to see (bad syntax, huge head): a bare status."""
        self.writer.write(
            f"HTTP/1.1 {status} \r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode()
        )
        await self._linger()

    # --- writing, called by a Responder from the app's thread ---

    async def send(self, event: h11.Event) -> bool:
        if self.writer.is_closing():
            return False
        try:
            data = self.h11.send(event)
            if data:
                self.writer.write(data)
            # Returns at once while the transport's buffer is small (most pages); a large body
            # waits here for the client to read, with a deadline for a client that never does.
            async with asyncio.timeout(self.limits.body_timeout):
                await self.writer.drain()
        except (h11.LocalProtocolError, ConnectionError, TimeoutError):
            self.writer.transport.abort()
            return False
        return True


def _head_size(request: h11.Request) -> int:
    return len(request.target) + sum(len(name) + len(value) + 4 for name, value in request.headers)


def _content_length(request: h11.Request) -> int | None:
    for name, value in request.headers:
        if name == b"content-length":
            return int(value)  # h11 already refused a malformed or conflicting length
    return None


async def handle(
    shared: Shared, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    """The per-connection entry point; at the cap a newcomer takes the place of a connection that
    is idle or still sending its head, and is closed at once only when there is none."""
    if shared.closing or (
        shared.connections >= shared.limits.max_connections and not shared.make_room()
    ):
        writer.transport.abort()
        return
    shared.connections += 1
    try:
        await Connection(shared, reader, writer).serve()
    except Exception as exc:
        # The type only: asyncio's own report would print the transport and what it holds.
        log.error("a connection failed: %s", exc.__class__.__name__)
        writer.transport.abort()
    finally:
        shared.connections -= 1
