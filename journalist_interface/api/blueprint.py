"""The API's blueprint and its gate: deny by default, a token on every route but a public few."""

from __future__ import annotations

from flask import Blueprint, abort, request
from flask.typing import ResponseReturnValue

from journalist_interface.api import auth
from sealdrop.serving.limits import REFUSED_KEY

bp = Blueprint("api", __name__, url_prefix="/api")

# Everything else needs `Authorization: Token <token>`.
PUBLIC_ENDPOINTS = frozenset({"api.root", "api.token", "api.openapi"})


@bp.before_request
def refuse_or_authenticate() -> ResponseReturnValue | None:
    # The server refused the body before reading it (too large or too busy): say so, as JSON.
    refused = request.environ.get(REFUSED_KEY)
    if refused:
        abort(int(refused))
    if request.endpoint not in PUBLIC_ENDPOINTS:
        auth.require_token()
    return None
