"""The WSGI side: an environ from a parsed request, and a response written back through the loop."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable, Iterable
from typing import Any, Protocol
from urllib.parse import unquote_to_bytes

import h11

log = logging.getLogger(__name__)

# How long a thread waits for the loop to take a piece of the response before giving up on a
# client that does not read: past it the connection is dropped and the thread freed.
SEND_TIMEOUT_SECONDS = 60.0

Environ = dict[str, Any]
StartResponse = Callable[..., Callable[[bytes], None]]
WsgiApp = Callable[[Environ, StartResponse], Iterable[bytes]]


class InputStream(Protocol):
    """What WSGI's `wsgi.input` must offer the app (an in-memory body, or an upload's pipe)."""

    def read(self, size: int | None = -1, /) -> bytes: ...
    def readline(self, size: int | None = -1, /) -> bytes: ...


class Sender(Protocol):
    """The loop's side of a response: takes h11 events from a thread, writes them out."""

    async def send(self, event: h11.Event) -> bool: ...


def path_of(target: bytes) -> tuple[str, str]:
    """PATH_INFO (percent-decoded, as WSGI wants it) and QUERY_STRING of a request target."""
    raw_path, _, query = target.partition(b"?")
    return unquote_to_bytes(raw_path).decode("latin-1"), query.decode("latin-1")


def make_environ(
    request: h11.Request, *, body: InputStream, server: tuple[str, str], content_length: int | None
) -> Environ:
    # No REMOTE_ADDR: behind an onion service every peer is the local tor, and the app must
    # have nothing about a visitor to log even by mistake.
    path, query = path_of(request.target)
    environ: Environ = {
        "REQUEST_METHOD": request.method.decode("ascii"),
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": server[0],
        "SERVER_PORT": server[1],
        "SERVER_PROTOCOL": "HTTP/" + request.http_version.decode("ascii"),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": body,
        # The server ends the body itself (chunked or not): reading past it gives b"".
        "wsgi.input_terminated": True,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    for name, value in request.headers:
        key = name.decode("latin-1").upper().replace("-", "_")
        if key in ("CONTENT_LENGTH", "TRANSFER_ENCODING"):
            continue
        key = key if key == "CONTENT_TYPE" else "HTTP_" + key
        text = value.decode("latin-1")
        if key in environ:
            text = environ[key] + ("; " if key == "HTTP_COOKIE" else ", ") + text
        environ[key] = text
    if content_length is not None:
        environ["CONTENT_LENGTH"] = str(content_length)
    return environ


class Responder:
    """start_response and the body writer, for one request, called from the app's thread."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop, sender: Sender, *, force_close: bool
    ) -> None:
        self._loop = loop
        self._sender = sender
        self._force_close = force_close
        self._pending: h11.Response | None = None
        self.started = False
        self.alive = True

    def start_response(
        self, status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Callable[[bytes], None]:
        if exc_info is not None and self.started:
            raise exc_info[1].with_traceback(exc_info[2])
        code, _, reason = status.partition(" ")
        pairs = [
            (k.encode("latin-1"), v.encode("latin-1")) for k, v in headers if k.lower() != "server"
        ]
        if self._force_close:
            pairs = [(k, v) for k, v in pairs if k.lower() != b"connection"]
            pairs.append((b"Connection", b"close"))
        self._pending = h11.Response(
            status_code=int(code), headers=pairs, reason=reason.encode("latin-1")
        )
        return self.write

    def _send(self, event: h11.Event) -> None:
        if not self.alive:
            return
        future = asyncio.run_coroutine_threadsafe(self._sender.send(event), self._loop)
        try:
            self.alive = future.result(SEND_TIMEOUT_SECONDS)
        except TimeoutError:
            future.cancel()
            self.alive = False

    def _head(self) -> None:
        if self._pending is not None:
            head, self._pending = self._pending, None
            self.started = True
            self._send(head)

    def write(self, data: bytes) -> None:
        self._head()
        if data:
            self._send(h11.Data(data=data))

    def finish(self) -> None:
        self._head()
        self._send(h11.EndOfMessage())


def run_app(app: WsgiApp, environ: Environ, responder: Responder) -> None:
    """In a thread: the whole request, from calling the app to closing its iterable."""
    try:
        result = app(environ, responder.start_response)
        try:
            for chunk in result:
                if not responder.alive:
                    break  # the client went away: stop producing, let the app clean up
                responder.write(chunk)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        responder.finish()
    except Exception as exc:
        # The type only: a message could carry what a visitor sent.
        log.error("the app failed: %s", exc.__class__.__name__)
        if not responder.started:
            responder.start_response("500 Internal Server Error", [("Content-Length", "0")])
            responder.finish()
        else:
            responder.alive = False
