"""A second factor waiting for its first code, sealed in the admin's session cookie meanwhile.

The Flask session is signed, not encrypted, and a secret must not sit readable in a cookie
jar: this one is encrypted with a key derived from the app's secret and expires on its own.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app, session

from sealdrop.errors import TwoFactorInvalid
from sealdrop.services.journalists import TwoFactor

SESSION_KEY = "pending_two_factor"
# Long enough to find a phone and install an app; a stale QR code is better started again.
LIFETIME_SECONDS = 15 * 60
MISSING = "No new two-factor device is waiting to be confirmed. Start the enrolment again."


def _fernet() -> Fernet:
    master = current_app.config["SECRET_KEY"]
    key = hmac.new(master, b"pending second factor", hashlib.sha256).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def hold(journalist_uuid: str, second_factor: TwoFactor) -> None:
    """Keep `second_factor` for `journalist_uuid` until confirmed; it replaces any other."""
    plain = json.dumps([journalist_uuid, second_factor.secret, second_factor.kind])
    session[SESSION_KEY] = _fernet().encrypt(plain.encode()).decode("ascii")


def waiting(journalist_uuid: str) -> TwoFactor:
    """The second factor waiting for this journalist; TwoFactorInvalid if none (or expired)."""
    token = session.get(SESSION_KEY)
    if not isinstance(token, str):
        raise TwoFactorInvalid(MISSING)
    try:
        owner, secret, kind = json.loads(_fernet().decrypt(token, ttl=LIFETIME_SECONDS))
    except (InvalidToken, ValueError):
        raise TwoFactorInvalid(MISSING) from None
    if owner != journalist_uuid:
        raise TwoFactorInvalid(MISSING)
    return TwoFactor(secret, kind)


def clear() -> None:
    session.pop(SESSION_KEY, None)
