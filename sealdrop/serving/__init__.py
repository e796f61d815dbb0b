"""Serving the web apps: gunicorn manages the processes, our own worker class guards the threads.

Each worker runs an event loop that reads request heads and small bodies without a thread, so a
slow or silent client costs a socket, not a thread; only the app itself runs in the thread pool.
"""

from __future__ import annotations

from sealdrop.serving.apps import APPS, AppSpec
from sealdrop.serving.argv import gunicorn_argv

__all__ = ["APPS", "AppSpec", "gunicorn_argv"]
