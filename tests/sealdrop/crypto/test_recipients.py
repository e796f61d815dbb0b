"""Encrypting without importing the recipients: their packets as the home's keyring, the import
kept for armor read only by gpg, and gpg still choosing the key by its fingerprint."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from sealdrop.crypto.armor import dearmor_public_key
from sealdrop.crypto.gpg import Gpg
from sealdrop.crypto.recipients import KEYRING_FILE, write_keyring
from sealdrop.crypto.source_keys import SourceKey
from sealdrop.domain.keys import Fingerprint, Passphrase, PublicKey
from sealdrop.errors import EncryptionFailed
from tests.harness import ReaderKeys


def gpg_dearmor(armored: str) -> bytes:
    return subprocess.run(
        ["gpg", "--dearmor"], input=armored.encode(), capture_output=True, check=True
    ).stdout


def test_the_packets_are_what_gpg_dearmors(reader_keys: ReaderKeys) -> None:
    assert dearmor_public_key(reader_keys.public_key) == gpg_dearmor(reader_keys.public_key)
    crlf = reader_keys.public_key.replace("\n", "\r\n")
    assert dearmor_public_key(crlf) == gpg_dearmor(reader_keys.public_key)


@pytest.mark.parametrize(
    "text",
    [
        "not a key",
        "Here is my key:\n{key}",  # gpg reads past text around the block; this does not
        "{key}\n{key}",  # two blocks
        "{message}",  # a message is not a key
    ],
)
def test_armor_read_only_by_gpg_writes_no_keyring(
    reader_keys: ReaderKeys, tmp_path: Path, text: str
) -> None:
    message = reader_keys.public_key.replace("PUBLIC KEY BLOCK", "MESSAGE")
    armored = text.format(key=reader_keys.public_key, message=message)
    odd = PublicKey(reader_keys.fingerprint, armored)
    assert not write_keyring(tmp_path, [reader_keys.key, odd])
    assert not (tmp_path / KEYRING_FILE).exists()


def test_a_damaged_checksum_writes_no_keyring(reader_keys: ReaderKeys, tmp_path: Path) -> None:
    lines = reader_keys.public_key.splitlines()
    checksum = next(i for i, line in enumerate(lines) if line.startswith("="))
    lines[checksum] = "=" + ("AAAA" if lines[checksum][1:] != "AAAA" else "BBBB")
    damaged = PublicKey(reader_keys.fingerprint, "\n".join(lines))
    assert not write_keyring(tmp_path, [damaged])


def test_two_recipients_each_open_what_one_run_encrypted(
    server_gpg: Gpg, reader_keys: ReaderKeys, second_reader_keys: ReaderKeys, tmp_path: Path
) -> None:
    output = tmp_path / "both.gpg"
    server_gpg.encrypt_bytes(b"for both", [reader_keys.key, second_reader_keys.key], output)
    assert reader_keys.decrypt(output) == b"for both"
    assert second_reader_keys.decrypt(output) == b"for both"
    assert list(server_gpg.scratch.iterdir()) == []


def test_armor_with_text_around_it_is_imported_by_gpg(
    server_gpg: Gpg, reader_keys: ReaderKeys, tmp_path: Path
) -> None:
    pasted = PublicKey(reader_keys.fingerprint, f"My key:\n\n{reader_keys.public_key}\nThanks")
    output = tmp_path / "pasted.gpg"
    server_gpg.encrypt_bytes(b"still sealed", [pasted], output)
    assert reader_keys.decrypt(output) == b"still sealed"


def test_a_key_text_holding_another_key_is_refused(
    server_gpg: Gpg, reader_keys: ReaderKeys, second_reader_keys: ReaderKeys, tmp_path: Path
) -> None:
    # The row says one fingerprint, its text holds another key: gpg must not encrypt to it.
    swapped = PublicKey(reader_keys.fingerprint, second_reader_keys.public_key)
    output = tmp_path / "swapped.gpg"
    with pytest.raises(EncryptionFailed):
        server_gpg.encrypt_bytes(b"for whom?", [swapped], output)
    assert output.read_bytes() == b""  # nothing sealed; the caller wipes the empty file


def test_an_unknown_fingerprint_with_good_armor_is_refused(
    server_gpg: Gpg, reader_keys: ReaderKeys, tmp_path: Path
) -> None:
    other = PublicKey(
        Fingerprint("0123456789ABCDEF0123456789ABCDEF01234567"), reader_keys.public_key
    )
    with pytest.raises(EncryptionFailed):
        server_gpg.encrypt_bytes(b"x" * (3 << 20), [other], tmp_path / "big.gpg")
    assert list(server_gpg.scratch.iterdir()) == []


def test_replies_open_with_the_key_read_from_its_armor_and_only_with_it(
    server_gpg: Gpg, reader_keys: ReaderKeys, tmp_path: Path
) -> None:
    key = server_gpg.generate_source_key(Passphrase("a passphrase scrypt derived"))
    output = tmp_path / "reply.gpg"
    server_gpg.encrypt_bytes(b"a reply", [key.public], output)
    passphrase = Passphrase("a passphrase scrypt derived")
    assert server_gpg.decrypt_with_key([output], key, passphrase) == [b"a reply"]
    # The row's text holds another key than its fingerprint says: the secret is not placed.
    swapped = SourceKey(PublicKey(key.public.fingerprint, reader_keys.public_key), key.secret)
    assert server_gpg.decrypt_with_key([output], swapped, passphrase) == [None]
    pasted = SourceKey(PublicKey(key.public.fingerprint, f"Key:\n{key.public.armored}"), key.secret)
    assert server_gpg.decrypt_with_key([output], pasted, passphrase) == [b"a reply"]
    assert list(server_gpg.scratch.iterdir()) == []
