"""The WSGI entry point for gunicorn: the one place the journalist app reads its environment."""

from __future__ import annotations

import os

from flask import Flask

from journalist_interface import create_app
from sealdrop.config import load_config


def application() -> Flask:
    return create_app(load_config(os.environ))
