"""How a web app is served: gunicorn on loopback or a unix socket, with no access log."""

from __future__ import annotations

import sys
from pathlib import Path

from sealdrop.config import Config

# Named by import path: the core must not import the web apps (see the import contracts).
SHM = "/dev/shm"  # noqa: S108 - tmpfs for gunicorn's own empty heartbeat files, not a data path
APPS = {"source": "source_interface.wsgi:application()"}


def gunicorn_argv(config: Config, app: str, bind: str | None) -> list[str]:
    """No access log (DESIGN invariant 4); threads so a slow Tor upload holds no whole worker."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        bind or config.source_bind,
        "--workers",
        str(config.source_workers),
        "--worker-class",
        "gthread",
        "--threads",
        "8",
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
        APPS[app],
    ]
