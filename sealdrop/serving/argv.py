"""How gunicorn is started: loopback or a unix socket, no access log, our worker class."""

from __future__ import annotations

import sys
from pathlib import Path

from sealdrop.config import Config
from sealdrop.serving.apps import APPS

SHM = "/dev/shm"  # noqa: S108 - tmpfs for gunicorn's own empty heartbeat files, not a data path
WORKER_CLASS = "sealdrop.serving.worker.GuardedWorker"


def gunicorn_argv(config: Config, app: str, bind: str | None) -> list[str]:
    """No access log (no request of a source is ever recorded); our worker guards the threads."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        bind or config.app(app).bind,
        "--workers",
        str(config.app(app).workers),
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
