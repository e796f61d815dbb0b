"""Memory-hard derivations from a codename, one per named purpose, each with its own salt."""

from __future__ import annotations

import base64
import hashlib
import threading
from enum import Enum

from sealdrop.config import KdfCost
from sealdrop.domain.codenames import Codename


class Purpose(Enum):
    """Why a value is derived; the label is mixed into the salt so purposes never collide."""

    # The label is part of every derived value: renaming the member must never change it.
    FILESYSTEM_ID = b"sealdrop source id v1"
    REPLY_KEY = b"sealdrop reply key passphrase v1"


DERIVED_BYTES = 32
MIN_SALT_BYTES = 16
# Each derivation holds 128*n*r bytes (16 MiB by default) and a core for ~50 ms. However many
# logins arrive at once, a process runs at most this many: the rest wait their turn instead of
# exhausting memory, and no correct codename is ever refused for load.
CONCURRENT_DERIVATIONS = 2
_slots = threading.BoundedSemaphore(CONCURRENT_DERIVATIONS)


def derive(codename: Codename, *, purpose: Purpose, salt: bytes, cost: KdfCost) -> bytes:
    """scrypt(codename, purpose label || 0 || instance salt); raises ValueError on a bad cost."""
    if len(salt) < MIN_SALT_BYTES:
        raise ValueError("an instance salt has at least 16 bytes")
    with _slots:
        return _scrypt(codename, purpose=purpose, salt=salt, cost=cost)


def _scrypt(codename: Codename, *, purpose: Purpose, salt: bytes, cost: KdfCost) -> bytes:
    return hashlib.scrypt(
        codename.encode("utf-8"),
        salt=purpose.value + b"\x00" + salt,
        n=cost.n,
        r=cost.r,
        p=cost.p,
        maxmem=256 * cost.n * cost.r * cost.p + (1 << 20),
        dklen=DERIVED_BYTES,
    )


def filesystem_id(codename: Codename, *, salt: bytes, cost: KdfCost) -> str:
    """The identifier a source is found by: 52 lowercase base32 characters, safe as a path part."""
    raw = derive(codename, purpose=Purpose.FILESYSTEM_ID, salt=salt, cost=cost)
    return base64.b32encode(raw).decode("ascii").rstrip("=").lower()


def reply_key_passphrase(codename: Codename, *, salt: bytes, cost: KdfCost) -> str:
    """The passphrase protecting the source's reply key; never stored, derived at each login."""
    raw = derive(codename, purpose=Purpose.REPLY_KEY, salt=salt, cost=cost)
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")
