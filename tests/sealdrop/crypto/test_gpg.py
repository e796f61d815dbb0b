"""The GnuPG wrapper: streaming encryption, source keys and their dates, no cached secrets."""

from __future__ import annotations

import datetime as dt
import os
import stat
import subprocess
from pathlib import Path

import pytest

from sealdrop.crypto.gpg import Fingerprint, Gpg, Passphrase
from sealdrop.errors import DecryptionFailed, EncryptionFailed
from tests.harness import ReaderKeys

CHUNK = 64 * 1024
UNKNOWN = Fingerprint("0123456789ABCDEF0123456789ABCDEF01234567")
PASSPHRASE = Passphrase("correct horse battery staple, derived by scrypt")
SOURCE_KEY_EPOCH = int(dt.datetime(2013, 5, 14, tzinfo=dt.UTC).timestamp())


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_keyring_is_private_and_agent_caches_nothing(server_gpg: Gpg) -> None:
    assert mode(server_gpg.home) == 0o700
    lines = (server_gpg.home / "gpg-agent.conf").read_text().splitlines()
    settings = dict(line.partition(" ")[::2] for line in lines)
    assert settings["default-cache-ttl"] == "0"  # no passphrase is ever stored
    # Key generation keeps the new passphrase under a one-use nonce while it self-signs; at 0 that
    # entry expired whenever a second ticked over mid-generation and the generation failed.
    assert int(settings["max-cache-ttl"]) >= 5
    assert mode(server_gpg.home / "gpg-agent.conf") == 0o600


def test_stream_decrypts_on_the_reader(server_gpg: Gpg, reader_keys: ReaderKeys,
                                       tmp_path: Path) -> None:
    fingerprint = server_gpg.import_public_key(reader_keys.public_key)
    data = os.urandom(5 * 1024 * 1024 + 123)
    output = tmp_path / "out.gpg"

    encryptor = server_gpg.open_encryptor([fingerprint], output)
    assert mode(output) == 0o600  # private from its first byte
    for offset in range(0, len(data), CHUNK):
        encryptor.write(data[offset : offset + CHUNK])
    encryptor.finish()

    assert mode(output) == 0o600
    assert data[:4096] not in output.read_bytes()
    assert reader_keys.decrypt(output) == data


def test_abort_stops_gpg_and_leaves_the_output_to_wipe(server_gpg: Gpg, reader_keys: ReaderKeys,
                                                       tmp_path: Path) -> None:
    fingerprint = server_gpg.import_public_key(reader_keys.public_key)
    output = tmp_path / "out.gpg"
    encryptor = server_gpg.open_encryptor([fingerprint], output)
    encryptor.write(os.urandom(3 * CHUNK))

    encryptor.abort()

    # A plain unlink would leave the ciphertext's blocks behind: the store wipes it instead.
    assert output.exists()
    assert mode(output) == 0o600
    with pytest.raises(EncryptionFailed):
        encryptor.write(b"more")


def test_open_encryptor_never_reuses_a_path(server_gpg: Gpg, tmp_path: Path) -> None:
    (tmp_path / "taken.gpg").write_bytes(b"stored earlier")
    with pytest.raises(FileExistsError):
        server_gpg.open_encryptor([UNKNOWN], tmp_path / "taken.gpg")
    assert (tmp_path / "taken.gpg").read_bytes() == b"stored earlier"


def test_unknown_recipient_fails_without_hanging(server_gpg: Gpg, tmp_path: Path) -> None:
    output = tmp_path / "out.gpg"
    encryptor = server_gpg.open_encryptor([UNKNOWN], output)
    first = os.urandom(CHUNK)

    def send_all() -> None:
        encryptor.write(first)
        for _ in range(63):  # 4 MiB: more than any pipe buffer, so a stuck gpg would hang here
            encryptor.write(os.urandom(CHUNK))
        encryptor.finish()

    with pytest.raises(EncryptionFailed):
        send_all()
    # The output stays for the caller's secure delete, and holds no plaintext.
    assert output.exists()
    assert first[:4096] not in output.read_bytes()


def test_source_key_round_trip(server_gpg: Gpg, tmp_path: Path) -> None:
    fingerprint = server_gpg.generate_source_key(PASSPHRASE)
    output = tmp_path / "reply.gpg"

    server_gpg.encrypt_bytes("Merci, reçu.".encode(), [fingerprint], output)

    assert server_gpg.secret_fingerprints() == {fingerprint}
    assert server_gpg.decrypt_with_passphrase(output, PASSPHRASE) == "Merci, reçu.".encode()


def test_wrong_passphrase_fails_even_right_after_a_good_one(server_gpg: Gpg,
                                                            tmp_path: Path) -> None:
    fingerprint = server_gpg.generate_source_key(PASSPHRASE)
    output = tmp_path / "reply.gpg"
    server_gpg.encrypt_bytes(b"secret reply", [fingerprint], output)
    with pytest.raises(DecryptionFailed):
        server_gpg.decrypt_with_passphrase(output, Passphrase("wrong"))

    assert server_gpg.decrypt_with_passphrase(output, PASSPHRASE) == b"secret reply"
    # If gpg-agent had cached the passphrase, this would succeed.
    with pytest.raises(DecryptionFailed):
        server_gpg.decrypt_with_passphrase(output, Passphrase("wrong"))
    with pytest.raises(DecryptionFailed):
        server_gpg.decrypt_with_passphrase(output, Passphrase(""))


def test_decryption_failures_are_opaque(server_gpg: Gpg, tmp_path: Path) -> None:
    (tmp_path / "junk.gpg").write_bytes(os.urandom(500))
    with pytest.raises(DecryptionFailed, match=r"^This reply could not be decrypted\.$"):
        server_gpg.decrypt_with_passphrase(tmp_path / "junk.gpg", PASSPHRASE)
    with pytest.raises(DecryptionFailed, match=r"^This reply could not be decrypted\.$"):
        server_gpg.decrypt_with_passphrase(tmp_path / "missing.gpg", PASSPHRASE)


def test_passphrase_must_be_one_line(server_gpg: Gpg) -> None:
    with pytest.raises(ValueError, match="one line"):
        server_gpg.generate_source_key(Passphrase("one\nPassphrase: injected"))
    assert server_gpg.secret_fingerprints() == set()


def test_source_keys_all_carry_the_same_fixed_date(server_gpg: Gpg) -> None:
    """Key, subkey and self-signatures say 2013-05-14, so the keyring dates no source."""
    fingerprint = server_gpg.generate_source_key(PASSPHRASE)
    listed = subprocess.run(
        ["gpg", "--homedir", str(server_gpg.home), "--with-colons", "--list-sigs", fingerprint],
        capture_output=True, text=True, check=True,
    ).stdout.splitlines()

    dated = [line.split(":") for line in listed if line.split(":")[0] in {"pub", "sub", "sig"}]
    assert [fields[0] for fields in dated] == ["pub", "sig", "sub", "sig"]
    assert {fields[5] for fields in dated} == {str(SOURCE_KEY_EPOCH)}


def test_delete_key_pair(server_gpg: Gpg) -> None:
    fingerprint = server_gpg.generate_source_key(PASSPHRASE)
    server_gpg.delete_key_pair(fingerprint)
    assert not server_gpg.has_public_key(fingerprint)
    assert server_gpg.secret_fingerprints() == set()
