"""How gunicorn is started: loopback or a unix socket, no access log, our worker class."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from sealdrop.config import Config

SHM = "/dev/shm"  # noqa: S108 - tmpfs for gunicorn's own empty heartbeat files, not a data path
WORKER_CLASS = "sealdrop.serving.worker.GuardedWorker"


@dataclass(frozen=True)
class AppSpec:
    """A web app gunicorn can serve, and the routes that may carry a large body."""

    # Named by import path: the core must not import the web apps (see the import contracts).
    target: str
    # Only POSTs to these paths get the upload body limit and an upload slot; every other
    # request must fit the small limit and is read whole before it reaches a thread.
    upload_paths: frozenset[str] = frozenset()


APPS = {
    "source": AppSpec("source_interface.wsgi:application()", upload_paths=frozenset({"/submit"})),
}


def app_for_target(target: str) -> AppSpec:
    """The registry entry gunicorn was started with; the worker learns its upload routes here."""
    for spec in APPS.values():
        if spec.target == target:
            return spec
    return AppSpec(target)


def gunicorn_argv(config: Config, app: str, bind: str | None) -> list[str]:
    """No access log (no request of a source is ever recorded); our worker guards the threads."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        bind or config.source_bind,
        "--workers",
        str(config.source_workers),
        "--worker-class",
        WORKER_CLASS,
        # The worker's event loop notifies the arbiter; requests have deadlines of their own.
        "--timeout",
        "120",
        "--graceful-timeout",
        "10",
        "--umask",
        "0o077",
        "--error-logfile",
        "-",
        "--log-level",
        "error",  # gunicorn names the peer address in its warnings; errors name nobody
        "--no-control-socket",
        # The heartbeat files of gunicorn's workers go to RAM, never beside anything else.
        *(["--worker-tmp-dir", SHM] if Path(SHM).is_dir() else []),
        APPS[app].target,
    ]
