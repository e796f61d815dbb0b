"""The GnuPG wrapper: what keys it accepts, streaming encryption, source keys, no cached secrets."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sealdrop.crypto.gpg import Fingerprint, Gpg, Passphrase, generate_reader_key_pair
from sealdrop.errors import DecryptionFailed, EncryptionFailed, KeyImportError
from tests.harness import ReaderKeys

CHUNK = 64 * 1024
UNKNOWN = Fingerprint("0123456789ABCDEF0123456789ABCDEF01234567")
PASSPHRASE = Passphrase("correct horse battery staple, derived by scrypt")


@dataclass(frozen=True)
class OtherKeys:
    """Armored public keys the server must refuse (or, for `another`, accept alone)."""

    expiring: str
    sign_only: str
    revoked: str
    another: str


def _gpg(home: Path, *args: str) -> str:
    done = subprocess.run(["gpg", "--homedir", str(home), "--batch", *args],
                          capture_output=True, text=True, check=True)
    return done.stdout


def _new_key(home: Path, uid: str, algo: str, usage: str, expire: str) -> str:
    _gpg(home, "--passphrase", "", "--quick-gen-key", uid, algo, usage, expire)
    return _gpg(home, "--armor", "--export", uid)


@pytest.fixture(scope="module")
def other_keys() -> Iterator[OtherKeys]:
    home = Path(tempfile.mkdtemp(prefix="sdk-"))
    try:
        _new_key(home, "Revoked <r@example.org>", "future-default", "default", "never")
        fingerprint = next(line.split(":")[9] for line in _gpg(
            home, "--with-colons", "--list-keys", "r@example.org").splitlines()
            if line.startswith("fpr:"))
        certificate = (home / "openpgp-revocs.d" / f"{fingerprint}.rev").read_text()
        # gpg stores a revocation certificate with a colon guarding its armor line.
        (home / "revoke.asc").write_text(certificate.replace(":-----BEGIN", "-----BEGIN"))
        _gpg(home, "--import", str(home / "revoke.asc"))
        yield OtherKeys(
            expiring=_new_key(home, "Expiring <e@example.org>", "future-default", "default", "1d"),
            sign_only=_new_key(home, "Signer <s@example.org>", "ed25519", "sign", "never"),
            revoked=_gpg(home, "--armor", "--export", "r@example.org"),
            another=_new_key(home, "Another <a@example.org>", "future-default", "default", "never"),
        )
    finally:
        subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "gpg-agent"], check=False)
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def server_gpg() -> Iterator[Gpg]:
    """A server keyring, as in a data directory: empty until a test imports or generates keys."""
    home = Path(tempfile.mkdtemp(prefix="sds-")) / "gpg"
    gpg = Gpg(home)
    try:
        yield gpg
    finally:
        gpg.close()
        shutil.rmtree(home.parent, ignore_errors=True)


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


def test_inspect_accepts_one_encryption_key(server_gpg: Gpg, reader_keys: ReaderKeys) -> None:
    assert server_gpg.inspect_public_key(reader_keys.public_key) == reader_keys.fingerprint
    assert not server_gpg.has_public_key(reader_keys.fingerprint)  # inspecting imports nothing


def test_secret_key_block_is_refused(server_gpg: Gpg, reader_keys: ReaderKeys) -> None:
    with pytest.raises(KeyImportError, match="private key"):
        server_gpg.import_public_key(reader_keys.export_secret_key())
    assert server_gpg.secret_fingerprints() == set()


def test_secret_key_under_a_public_header_is_refused(server_gpg: Gpg,
                                                     reader_keys: ReaderKeys) -> None:
    disguised = reader_keys.export_secret_key().replace("PRIVATE KEY BLOCK", "PUBLIC KEY BLOCK")
    with pytest.raises(KeyImportError, match="private key"):
        server_gpg.import_public_key(disguised)
    assert server_gpg.secret_fingerprints() == set()


def test_two_keys_are_refused(server_gpg: Gpg, reader_keys: ReaderKeys,
                              other_keys: OtherKeys) -> None:
    with pytest.raises(KeyImportError, match=r"exactly one .* found 2"):
        server_gpg.inspect_public_key(reader_keys.public_key + other_keys.another)


@pytest.mark.parametrize(
    "garbage",
    ["", "hello",
     "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nAAAA\n-----END PGP PUBLIC KEY BLOCK-----\n"],
    ids=["empty", "text", "broken-armor"],
)
def test_garbage_is_refused(server_gpg: Gpg, garbage: str) -> None:
    with pytest.raises(KeyImportError, match="found 0"):
        server_gpg.inspect_public_key(garbage)


def test_expired_key_is_refused(server_gpg: Gpg, other_keys: OtherKeys) -> None:
    server_gpg.inspect_public_key(other_keys.expiring)  # valid today
    with pytest.raises(KeyImportError, match="expired"):
        server_gpg.inspect_public_key(other_keys.expiring, now=time.time() + 10 * 86400)


def test_sign_only_key_is_refused(server_gpg: Gpg, other_keys: OtherKeys) -> None:
    with pytest.raises(KeyImportError, match="no usable encryption subkey"):
        server_gpg.import_public_key(other_keys.sign_only)


def test_revoked_key_is_refused(server_gpg: Gpg, other_keys: OtherKeys) -> None:
    with pytest.raises(KeyImportError, match="revoked"):
        server_gpg.import_public_key(other_keys.revoked)


def test_import_keeps_only_the_public_half(server_gpg: Gpg, reader_keys: ReaderKeys) -> None:
    assert server_gpg.import_public_key(reader_keys.public_key) == reader_keys.fingerprint

    assert server_gpg.has_public_key(reader_keys.fingerprint)
    assert not server_gpg.has_secret_key(reader_keys.fingerprint)
    assert server_gpg.secret_fingerprints() == set()
    assert "BEGIN PGP PUBLIC KEY BLOCK" in server_gpg.export_public_key(reader_keys.fingerprint)


def test_import_refuses_a_key_whose_secret_the_server_holds(server_gpg: Gpg) -> None:
    fingerprint = generate_reader_key_pair(server_gpg, "Misplaced Submission Key")
    with pytest.raises(KeyImportError, match="private half"):
        server_gpg.import_public_key(server_gpg.export_public_key(fingerprint))


def test_export_of_an_unknown_key_fails(server_gpg: Gpg) -> None:
    with pytest.raises(KeyImportError):
        server_gpg.export_public_key(UNKNOWN)


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


def test_abort_removes_the_output(server_gpg: Gpg, reader_keys: ReaderKeys,
                                  tmp_path: Path) -> None:
    fingerprint = server_gpg.import_public_key(reader_keys.public_key)
    output = tmp_path / "out.gpg"
    encryptor = server_gpg.open_encryptor([fingerprint], output)
    encryptor.write(os.urandom(3 * CHUNK))

    encryptor.abort()

    assert not output.exists()
    with pytest.raises(EncryptionFailed):
        encryptor.write(b"more")


def test_open_encryptor_never_reuses_a_path(server_gpg: Gpg, tmp_path: Path) -> None:
    (tmp_path / "taken.gpg").write_bytes(b"stored earlier")
    with pytest.raises(FileExistsError):
        server_gpg.open_encryptor([UNKNOWN], tmp_path / "taken.gpg")
    assert (tmp_path / "taken.gpg").read_bytes() == b"stored earlier"


def test_unknown_recipient_fails_and_leaves_nothing(server_gpg: Gpg, tmp_path: Path) -> None:
    output = tmp_path / "out.gpg"
    encryptor = server_gpg.open_encryptor([UNKNOWN], output)

    def send_all() -> None:
        for _ in range(64):  # 4 MiB: more than any pipe buffer, so a stuck gpg would hang here
            encryptor.write(os.urandom(CHUNK))
        encryptor.finish()

    with pytest.raises(EncryptionFailed):
        send_all()
    assert not output.exists()


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


def test_delete_key_pair(server_gpg: Gpg) -> None:
    fingerprint = server_gpg.generate_source_key(PASSPHRASE)
    server_gpg.delete_key_pair(fingerprint)
    assert not server_gpg.has_public_key(fingerprint)
    assert server_gpg.secret_fingerprints() == set()


def test_armored_reply_is_readable_by_the_newsroom(server_gpg: Gpg, reader_keys: ReaderKeys,
                                                   tmp_path: Path) -> None:
    submission_key = server_gpg.import_public_key(reader_keys.public_key)
    source_key = server_gpg.generate_source_key(PASSPHRASE)

    armored = server_gpg.encrypt_armored(b"a reply", [source_key, submission_key])

    (tmp_path / "reply.asc").write_text(armored)
    assert armored.startswith("-----BEGIN PGP MESSAGE-----")
    assert reader_keys.decrypt(tmp_path / "reply.asc") == b"a reply"
    assert server_gpg.decrypt_with_passphrase(tmp_path / "reply.asc", PASSPHRASE) == b"a reply"


def test_armored_encryption_to_an_unknown_key_fails(server_gpg: Gpg) -> None:
    with pytest.raises(EncryptionFailed):
        server_gpg.encrypt_armored(b"a reply", [UNKNOWN])
