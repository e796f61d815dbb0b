"""The WSGI entry point for gunicorn: the one place the source app reads its environment."""

from __future__ import annotations

import os

from flask import Flask

from sealdrop.config import load_config
from source_interface import create_app


def application() -> Flask:
    return create_app(load_config(os.environ))
