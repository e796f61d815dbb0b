"""Session cookies encrypted (not only signed) with a key from the instance secrets.

The cookie carries the reply-key passphrase of a logged-in source; the server forgets it after
each request. Fernet's timestamp, checked against the session lifetime, expires idle sessions.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from flask import Flask
from flask.json.tag import TaggedJSONSerializer
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature


def derive_key(master: bytes, purpose: str) -> bytes:
    return hmac.new(master, purpose.encode("ascii"), hashlib.sha256).digest()


class _FernetSerializer:
    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(base64.urlsafe_b64encode(key))
        self._json = TaggedJSONSerializer()

    def dumps(self, value: Any) -> str:
        return self._fernet.encrypt(self._json.dumps(value).encode("utf-8")).decode("ascii")

    def loads(self, token: str, max_age: int | None = None) -> Any:
        try:
            plain = self._fernet.decrypt(token.encode("ascii"), ttl=max_age)
            return self._json.loads(plain.decode("utf-8"))
        except (InvalidToken, ValueError, UnicodeError):
            raise BadSignature("session cookie rejected") from None


class EncryptedCookieSessionInterface(SecureCookieSessionInterface):
    def __init__(self, master_key: bytes) -> None:
        self._serializer = _FernetSerializer(derive_key(master_key, "source session cookie"))

    def get_signing_serializer(self, app: Flask) -> Any:
        return self._serializer
