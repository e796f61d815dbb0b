"""The keys an encryption is for, put where gpg reads them without a process to import them.

Importing the recipients into an operation's throwaway home is a gpg run of its own, about as
long as encrypting a message. gpg also reads the older keyring format: a home that holds
`pubring.gpg` (the keys' OpenPGP packets one after the other) and no `pubring.kbx` uses that
file as its keyring. Writing it from the keys' armor makes an encryption one gpg run.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sealdrop.crypto.armor import dearmor_public_key, packet_tags
from sealdrop.domain.keys import PublicKey

KEYRING_FILE = "pubring.gpg"
# What an exported public key holds: key, subkey, user id, user attribute, signature. A keyring
# file may also hold gpg's trust packets (tag 12), which gpg believes there (one can mark a
# forged subkey binding as checked and good) and an import drops: such text goes to the import.
KEY_PACKETS = frozenset({6, 14, 13, 17, 2})


def write_keyring(home: Path, recipients: Sequence[PublicKey]) -> bool:
    """Write the recipients' key packets as the keyring of `home`.

    False, with nothing written, when the armor of one of them cannot be read here (text around
    the block, say) or holds a packet an exported public key does not: gpg then imports them
    itself. Which key gpg encrypts to is still decided by the fingerprint it is given, never by
    what the file holds.
    """
    packets = [dearmor_public_key(key.armored) for key in recipients]
    if not packets or not all(packet and _only_key_packets(packet) for packet in packets):
        return False
    (home / KEYRING_FILE).write_bytes(b"".join(packet for packet in packets if packet))
    return True


def _only_key_packets(data: bytes) -> bool:
    tags = packet_tags(data)
    return tags is not None and set(tags) <= KEY_PACKETS
