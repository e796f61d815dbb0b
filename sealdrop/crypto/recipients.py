"""The keys an encryption is for, put where gpg reads them without a process to import them.

Importing the recipients into an operation's throwaway home is a gpg run of its own, about as
long as encrypting a message. gpg also reads the older keyring format: a home that holds
`pubring.gpg` (the keys' OpenPGP packets one after the other) and no `pubring.kbx` uses that
file as its keyring. Writing it from the keys' armor makes an encryption one gpg run.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sealdrop.crypto.armor import dearmor_public_key
from sealdrop.domain.keys import PublicKey

KEYRING_FILE = "pubring.gpg"


def write_keyring(home: Path, recipients: Sequence[PublicKey]) -> bool:
    """Write the recipients' key packets as the keyring of `home`.

    False, with nothing written, when the armor of one of them cannot be read here (text around
    the block, say): gpg then imports them itself. Which key gpg encrypts to is still decided by
    the fingerprint it is given, never by what the file holds.
    """
    packets = [dearmor_public_key(key.armored) for key in recipients]
    if not packets or any(packet is None for packet in packets):
        return False
    (home / KEYRING_FILE).write_bytes(b"".join(packet for packet in packets if packet))
    return True
