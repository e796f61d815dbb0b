"""API tokens: `Authorization: Token <token>` names a journalist until it expires or is revoked."""

from __future__ import annotations

import datetime as dt

from flask import abort, g, request

from sealdrop.db.models import Journalist
from sealdrop.services import journalist_auth

SCHEME = "Token"
# Messages, not secrets: ruff takes any string named *_TOKEN for a password.
NO_TOKEN = "Send your API token as `Authorization: Token <token>`; get one from /api/v1/token."  # noqa: S105
BAD_TOKEN = "Your token expired or was revoked. Get a new one from /api/v1/token."  # noqa: S105


def naive_utc(moment: dt.datetime) -> dt.datetime:
    """Token expiries are stored without a zone, in UTC."""
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


def presented_token() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    return token if scheme == SCHEME and token else None


def require_token() -> Journalist:
    """The token's journalist, kept in `g`; 403 for a missing, expired or revoked token."""
    token = presented_token()
    if token is None:
        abort(403, description=NO_TOKEN)
    journalist = journalist_auth.journalist_for_token(g.db, token, now=naive_utc(g.now))
    if journalist is None:
        abort(403, description=BAD_TOKEN)
    g.journalist = journalist
    g.api_token = token
    return journalist
