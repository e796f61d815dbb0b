"""What the core says about OpenPGP keys without touching gpg: fingerprints, passphrases, keys."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NewType

Fingerprint = NewType("Fingerprint", str)
# The passphrase of a source's reply key, derived from the codename: a secret, never logged.
Passphrase = NewType("Passphrase", str)


@dataclass(frozen=True)
class PublicKey:
    """An OpenPGP public key as the instance stores it: its fingerprint and its armored text."""

    fingerprint: Fingerprint
    armored: str
