"""Which OpenPGP keys may serve as the Submission Key: RSA-4096 or Curve25519, nothing weaker,
with an encryption subkey valid at the moment asked.

It reads the key listing gpg gives (python-gnupg's scan result) and imports no gpg module itself.
"""

from __future__ import annotations

from typing import Any

from sealdrop.errors import KeyImportError

RSA_ALGORITHMS = {"1", "2", "3"}
MIN_RSA_BITS = 4096


def _strong(algo: str, length: str, curve: str, *, curves: set[str]) -> bool:
    if algo in RSA_ALGORITHMS:
        return length.isdigit() and int(length) >= MIN_RSA_BITS
    return curve in curves


def require_strong(key: dict[str, Any]) -> None:
    """The Submission Key is RSA-4096 or Curve25519, and so is every usable encryption subkey."""
    primary_ok = _strong(
        key.get("algo", ""),
        key.get("length", ""),
        key.get("curve", ""),
        curves={"ed25519", "Ed25519"},
    )
    usable = [
        sub
        for sub in key.get("subkey_info", {}).values()
        if "e" in sub.get("cap", "") and sub.get("trust") not in ("e", "r")
    ]
    # gpg encrypts to the newest usable subkey, so every one of them must be strong.
    subkey_ok = bool(usable) and all(
        _strong(
            sub.get("algo", ""),
            sub.get("length", ""),
            sub.get("curve", ""),
            curves={"cv25519", "Curve25519"},
        )
        for sub in usable
    )
    if not (primary_ok and subkey_ok):
        raise KeyImportError("That key is too weak: use RSA-4096 or Curve25519 (ed25519/cv25519).")


def require_encrypting_at(key: dict[str, Any], moment: float) -> None:
    """An encryption subkey of `key` is still valid at `moment`.

    gpg's own "E" in the listing says so for the time it listed the key, and listings are kept
    for the process: a subkey may expire while the server runs, or later the day it is asked.
    """
    if not any(
        "e" in sub.get("cap", "")
        and sub.get("trust") not in ("e", "r")
        and not (sub.get("expires") and float(sub["expires"]) <= moment)
        for sub in key.get("subkey_info", {}).values()
    ):
        raise KeyImportError("That key has no usable encryption subkey.")
