"""A source's reply key as the server keeps it: its stored form, the fixed day every source key
carries, and the parameters gpg makes one from."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from sealdrop.domain.keys import Passphrase, PublicKey
from sealdrop.errors import KeyGenerationFailed

# Every source key, and the agent's protection of its secret part ("protected-at"), carry the
# same fixed day, so nothing in a key says when its source arrived.
SOURCE_KEY_DATE = "20130514T000000"
SOURCE_KEY_UID = "Sealdrop source key"
# gpg-agent's file for a key names its curve: Curve25519 for the encryption subkey (cv25519),
# Ed25519 for the signing primary key.
ENCRYPTION_CURVE = b"Curve25519"


@dataclass(frozen=True)
class SourceKey:
    """A source's reply key as its database row keeps it.

    `secret` is gpg-agent's own file for the encryption subkey, already protected by the
    passphrase: the same form serves keys made here and keys moved out of an old keyring.
    """

    public: PublicKey
    secret: bytes


def key_parameters(passphrase: Passphrase) -> str:
    """gpg's unattended key generation input for an ed25519/cv25519 source key."""
    if "\n" in passphrase or "\r" in passphrase:
        raise ValueError("a key passphrase is one line")
    # Written by hand: python-gnupg's helper would put the server's user@hostname in the uid.
    return (
        "Key-Type: EDDSA\nKey-Curve: ed25519\nKey-Usage: sign\n"
        "Subkey-Type: ECDH\nSubkey-Curve: cv25519\nSubkey-Usage: encrypt\n"
        f"Name-Real: {SOURCE_KEY_UID}\nExpire-Date: 0\nCreation-Date: {SOURCE_KEY_DATE}\n"
        f"Passphrase: {passphrase}\n%commit\n"
    )


def needs_reprotection(key: SourceKey) -> bool:
    """Whether the key's protection carries a day other than the fixed day of source keys.

    The agent's clock starts at the fixed date and runs (gpg-agent cannot freeze it), so a key
    made on a busy machine may say a second or two past midnight: that tells nothing real.
    """
    stamp = re.search(rb'protected-at\s+"([0-9T\s]+)"', key.secret)
    day = SOURCE_KEY_DATE.split("T", 1)[0].encode()
    return stamp is not None and not b"".join(stamp.group(1).split()).startswith(day + b"T")


def new_encryption_key_file(home: Path) -> bytes:
    """gpg-agent's file for the encryption subkey of the one key just made in `home`.

    Picked by its curve: the listing that names its keygrip would be a gpg run of its own, a
    sixth of a key's cost. The key's parameters above fix both curves.
    """
    files = [path.read_bytes() for path in (home / "private-keys-v1.d").glob("*.key")]
    found = [data for data in files if ENCRYPTION_CURVE in data]
    if len(files) != 2 or len(found) != 1:  # noqa: PLR2004 - the primary key and its subkey
        raise KeyGenerationFailed("gpg could not make a key for this source; try again.")
    return found[0]
