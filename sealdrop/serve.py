"""How a web app is served: gunicorn on loopback or a unix socket, with no access log."""

from __future__ import annotations

import sys

from sealdrop.config import Config

# Named by import path: the core must not import the web apps (see the import contracts).
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
        "warning",
        "--no-control-socket",
        APPS[app],
    ]
