"""Journalist passphrases: Argon2id hashes, the only module that imports argon2-cffi."""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

# A passphrase is hashed before anything else looks at it; a cap keeps one request cheap.
MAX_PASSPHRASE_CHARS = 128


@dataclass(frozen=True)
class Argon2Cost:
    """Argon2id cost; production keeps the defaults (RFC 9106's second recommendation),
    tests lower them by config, never by patching."""

    time_cost: int = 3
    memory_kib: int = 64 * 1024
    parallelism: int = 4


def _hasher(cost: Argon2Cost) -> PasswordHasher:
    return PasswordHasher(
        time_cost=cost.time_cost,
        memory_cost=cost.memory_kib,
        parallelism=cost.parallelism,
        type=Type.ID,
    )


def hash_passphrase(passphrase: str, *, cost: Argon2Cost) -> str:
    return _hasher(cost).hash(passphrase[:MAX_PASSPHRASE_CHARS])


def verify_passphrase(stored_hash: str, passphrase: str, *, cost: Argon2Cost) -> bool:
    """True when `passphrase` matches; False for a wrong one or a damaged hash."""
    if len(passphrase) > MAX_PASSPHRASE_CHARS:
        return False
    try:
        return _hasher(cost).verify(stored_hash, passphrase)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str, *, cost: Argon2Cost) -> bool:
    """A hash made with an older cost is replaced at the next successful login."""
    try:
        return _hasher(cost).check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True
