"""The OpenAPI 3 document describing the API, served as written beside this module."""

from __future__ import annotations

from pathlib import Path

from flask import Response
from flask.typing import ResponseReturnValue

from journalist_interface.api.blueprint import bp

DOCUMENT = Path(__file__).with_name("openapi.json")


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    return Response(DOCUMENT.read_bytes(), mimetype="application/json")
