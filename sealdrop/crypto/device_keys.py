"""Journalist device keys: x25519 pairs for Tor's v3 client authorization, in Tor's text formats.

Tor writes x25519 keys as their raw 32 bytes in base32, upper case, without padding. The service
side keeps `descriptor:x25519:<public>` (a file in `authorized_clients/`); the device gets
`<address>:descriptor:x25519:<private>` (a `.auth_private` file, or the key Tor Browser asks for).
The private half is made here, handed back once, and never stored.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from typing import NewType

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

# A device's private key line: whoever holds it reaches the journalist onion.
DevicePrivateLine = NewType("DevicePrivateLine", str)

KEY_BYTES = 32
_BASE32_KEY = re.compile(r"^[A-Z2-7]{52}$")
_ONION = re.compile(r"^[a-z2-7]{56}$")
AUTH_PREFIX = "descriptor:x25519:"


def b32(data: bytes) -> str:
    return base64.b32encode(data).decode("ascii").rstrip("=")


def bare_onion(address: str) -> str | None:
    """`address` without `.onion`, lower case, if it looks like a v3 address; else None."""
    bare = address.strip().lower().removesuffix(".onion")
    return bare if _ONION.match(bare) else None


def parse_public(text: str) -> str | None:
    """The base32 public key of an `authorized_clients` line, or None if it is not one."""
    line = text.strip()
    if not line.startswith(AUTH_PREFIX):
        return None
    key = line[len(AUTH_PREFIX) :]
    return key if _BASE32_KEY.match(key) else None


def fingerprint(public_b32: str) -> str:
    """A short name for a public key, for lists and the audit trail: 16 hex digits in fours."""
    raw = base64.b32decode(public_b32 + "====")
    digest = hashlib.sha256(raw).hexdigest()[:16]
    return " ".join(digest[i : i + 4] for i in range(0, 16, 4))


@dataclass(frozen=True)
class DeviceKeyPair:
    private: bytes
    public: bytes

    @classmethod
    def generate(cls) -> DeviceKeyPair:
        return cls.from_private(
            X25519PrivateKey.generate().private_bytes(
                serialization.Encoding.Raw,
                serialization.PrivateFormat.Raw,
                serialization.NoEncryption(),
            )
        )

    @classmethod
    def from_private(cls, private: bytes) -> DeviceKeyPair:
        public = (
            X25519PrivateKey.from_private_bytes(private)
            .public_key()
            .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        )
        return cls(private, public)

    @staticmethod
    def canonical_b32(public_b32: str) -> str:
        """`public_b32` decoded and encoded again: equal to it only if its unused last bits
        are zero, as in every key Tor writes (52 characters carry 260 bits for 256)."""
        return b32(base64.b32decode(public_b32 + "===="))

    @property
    def public_b32(self) -> str:
        return b32(self.public)

    def auth_line(self) -> str:
        """The service side: one file in the onion's `authorized_clients/`."""
        return AUTH_PREFIX + self.public_b32

    def private_line(self, onion_address: str) -> DevicePrivateLine:
        """The device side, for ClientOnionAuthDir or Tor Browser (which asks for the key part)."""
        bare = bare_onion(onion_address)
        if bare is None:
            raise ValueError("not a v3 onion address")
        return DevicePrivateLine(f"{bare}:{AUTH_PREFIX}{b32(self.private)}")
