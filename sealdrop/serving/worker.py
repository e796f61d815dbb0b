"""The gunicorn worker class: an asyncio event loop per process, the app in a bounded thread pool.

gunicorn still manages the processes (forking, binding, heartbeats, graceful restarts); this
class replaces only what a worker does with its sockets.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
import socket
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

from gunicorn.workers.base import Worker

from sealdrop.config import load_config
from sealdrop.serving.apps import app_for_target
from sealdrop.serving.connection import handle
from sealdrop.serving.limits import CONTENDED_WINDOW_SHARE, Limits
from sealdrop.serving.process import make_undumpable
from sealdrop.serving.shared import Shared
from sealdrop.serving.slots import UploadSlots

STREAM_LIMIT = 64 * 1024  # what a connection's reader buffers before it stops reading the socket
REFUSAL_THREADS = 2  # render the 413/503 pages, apart from the threads that serve pages


log = logging.getLogger(__name__)


class GuardedWorker(Worker):  # type: ignore[misc] # gunicorn ships no type information
    limits: Limits

    def init_process(self) -> None:
        # First of all, before the app or any secret is loaded: no core dump, no ptrace by
        # another process of the same user, no /proc/<pid>/mem or environ for them to read.
        make_undumpable()
        # The worker process is an entry point of its own, like wsgi.py: it reads the settings,
        # here, so that a bad one stops gunicorn as a boot error instead of a crash loop.
        config = load_config(os.environ)
        spec = app_for_target(str(getattr(self.app, "app_uri", "") or self.cfg.wsgi_app or ""))
        self.limits = Limits.for_app(config, spec)
        super().init_process()  # loads the app, then calls run()

    def init_signals(self) -> None:
        # The event loop installs its own handlers in run(); until then, gunicorn's defaults.
        for sig in self.SIGNALS:
            signal.signal(sig, signal.SIG_DFL)

    def run(self) -> None:
        # The app and all it loaded live as long as the process: out of the collector's reach,
        # a request that builds many objects (a list of 10,000 sources) no longer walks them
        # again at each full collection.
        gc.collect()
        gc.freeze()
        asyncio.run(self._serve(self.limits))

    async def _serve(self, limits: Limits) -> None:
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(quiet_exception_handler)
        stop = asyncio.Event()
        quick = asyncio.Event()
        loop.add_signal_handler(signal.SIGTERM, stop.set)

        def now() -> None:
            quick.set()
            stop.set()

        for sig in (signal.SIGINT, signal.SIGQUIT):
            loop.add_signal_handler(sig, now)
        loop.add_signal_handler(signal.SIGUSR1, self.log.reopen_files)
        loop.add_signal_handler(signal.SIGWINCH, lambda: None)
        executor = ThreadPoolExecutor(limits.threads, thread_name_prefix="app")
        refusals = ThreadPoolExecutor(REFUSAL_THREADS, thread_name_prefix="refusal")
        slots = UploadSlots(limits.uploads, limits.rate_window * CONTENDED_WINDOW_SHARE)
        shared = Shared(
            app=self.wsgi, limits=limits, executor=executor, refusal_executor=refusals, slots=slots
        )
        try:
            servers = [
                await asyncio.start_server(
                    partial(handle, shared),
                    sock=_listening(s),
                    limit=STREAM_LIMIT,
                    backlog=self.cfg.backlog,
                )
                for s in self.sockets
            ]
            # Listening already: a request that comes meanwhile is served by another thread.
            warming = loop.run_in_executor(executor, warm_up_app, self.wsgi)
            await self._heartbeat_until(stop)
            warming.cancel()
            shared.closing = True
            for server in servers:
                server.close()
            for writer in list(shared.idle):
                writer.close()
            await self._drain(shared, 0 if quick.is_set() else self.cfg.graceful_timeout)
        finally:
            # No waiting here: once this returns, asyncio cancels what is left, every unfinished
            # upload is cut, and its thread ends (wiping what it staged) before the process does.
            for pool in (executor, refusals):
                pool.shutdown(wait=False, cancel_futures=True)

    async def _heartbeat_until(self, stop: asyncio.Event) -> None:
        """Tell the arbiter we are alive; stop on a signal or when the arbiter is gone."""
        interval = max(self.timeout / 4, 0.5)
        while self.alive and not stop.is_set():
            self.notify()
            if os.getppid() != self.ppid:
                return
            try:
                await asyncio.wait_for(stop.wait(), interval)
            except TimeoutError:
                continue

    async def _drain(self, shared: Shared, grace: float) -> None:
        """Let requests in progress finish, within gunicorn's graceful timeout."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace
        while shared.connections and loop.time() < deadline:
            self.notify()
            await asyncio.sleep(0.1)


def _listening(gunicorn_socket: Any) -> socket.socket:
    # A duplicate of the listening socket gunicorn bound, so asyncio may own and close it.
    fd = os.dup(gunicorn_socket.fileno())
    sock = socket.socket(fileno=fd)
    sock.setblocking(False)
    return sock


def quiet_exception_handler(_loop: asyncio.AbstractEventLoop, context: dict[str, object]) -> None:
    """Whatever asyncio reports, say only what kind of error it was: never a peer or a payload."""
    exc = context.get("exception")
    log.error("event loop: %s", exc.__class__.__name__ if exc else "error without exception")


def warm_up_app(app: object) -> None:
    """Run the app's `warm_up()`, if it has one; a failure is only logged (by type, as above):
    the requests that need what it builds will build it, and report their own errors."""
    warm_up = getattr(app, "warm_up", None)
    if warm_up is None:
        return
    try:
        warm_up()
    except Exception as exc:  # best effort: never fatal to the worker
        log.warning("warming up failed: %s", exc.__class__.__name__)
