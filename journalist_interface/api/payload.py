"""Reading JSON request bodies: an object with fields of the expected types, else a clear 400."""

from __future__ import annotations

from typing import Any

from flask import request

from sealdrop.errors import RequestInvalid


def json_object() -> dict[str, Any]:
    """The body as a JSON object (whatever the Content-Type says, as SecureDrop's clients vary)."""
    data = request.get_json(force=True, silent=True)
    if not isinstance(data, dict):
        raise RequestInvalid("The request body must be a JSON object.")
    return data


def text(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise RequestInvalid(f"`{name}` is missing or not a string.")
    return value


def uuid_list(body: dict[str, Any], name: str) -> list[str]:
    """An optional list of strings (absent: empty)."""
    value = body.get(name, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise RequestInvalid(f"`{name}` must be a list of uuid strings.")
    return value
