"""The GnuPG wrapper's gate on Submission Keys: one usable, strong public key, or nothing."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from sealdrop.crypto.gpg import Gpg
from sealdrop.domain.keys import Fingerprint
from sealdrop.errors import KeyImportError
from tests.gpg_keys import WEAK, key_fingerprint, keyring, new_key, read_key, run_gpg
from tests.harness import ReaderKeys

UNKNOWN = Fingerprint("0123456789ABCDEF0123456789ABCDEF01234567")


@dataclass(frozen=True)
class OtherKeys:
    """Armored public keys the server must refuse (or, for `another`, accept alone)."""

    expiring: str
    sign_only: str
    revoked: str
    another: str


@pytest.fixture(scope="module")
def other_keys() -> Iterator[OtherKeys]:
    with keyring() as home:
        new_key(home, "Revoked <r@example.org>", "future-default", "default", "never")
        fingerprint = key_fingerprint(home, "r@example.org")
        certificate = (home / "openpgp-revocs.d" / f"{fingerprint}.rev").read_text()
        # gpg stores a revocation certificate with a colon guarding its armor line.
        (home / "revoke.asc").write_text(certificate.replace(":-----BEGIN", "-----BEGIN"))
        run_gpg(home, "--import", str(home / "revoke.asc"))
        yield OtherKeys(
            expiring=new_key(home, "Expiring <e@example.org>", "future-default", "default", "1d"),
            sign_only=new_key(home, "Signer <s@example.org>", "ed25519", "sign", "never"),
            revoked=run_gpg(home, "--armor", "--export", "r@example.org"),
            another=new_key(home, "Another <a@example.org>", "future-default", "default", "never"),
        )


@pytest.fixture(scope="module")
def weak_keys() -> dict[str, str]:
    """Keys able to encrypt that the policy rules out: small RSA, or a curve other than 25519."""
    return {name: read_key(name) for name in WEAK}


@pytest.fixture(scope="module")
def rsa4096_key() -> str:
    """RSA-4096 with an RSA-4096 encryption subkey (4-6 s to make, so kept in tests/vectors)."""
    return read_key("rsa4096")


def test_inspect_accepts_one_encryption_key(server_gpg: Gpg, reader_keys: ReaderKeys) -> None:
    key = server_gpg.inspect_public_key(reader_keys.public_key)
    assert key.fingerprint == reader_keys.fingerprint
    assert key.armored == reader_keys.public_key
    assert list(server_gpg.scratch.iterdir()) == []  # its throwaway home is gone


def test_secret_key_block_is_refused(server_gpg: Gpg, reader_keys: ReaderKeys) -> None:
    with pytest.raises(KeyImportError, match="private key"):
        server_gpg.inspect_public_key(reader_keys.export_secret_key())


def test_secret_key_under_a_public_header_is_refused(
    server_gpg: Gpg, reader_keys: ReaderKeys
) -> None:
    disguised = reader_keys.export_secret_key().replace("PRIVATE KEY BLOCK", "PUBLIC KEY BLOCK")
    with pytest.raises(KeyImportError, match="private key"):
        server_gpg.inspect_public_key(disguised)


def test_two_keys_are_refused(
    server_gpg: Gpg, reader_keys: ReaderKeys, other_keys: OtherKeys
) -> None:
    with pytest.raises(KeyImportError, match=r"exactly one .* found 2"):
        server_gpg.inspect_public_key(reader_keys.public_key + other_keys.another)


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "hello",
        "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nAAAA\n-----END PGP PUBLIC KEY BLOCK-----\n",
    ],
    ids=["empty", "text", "broken-armor"],
)
def test_garbage_is_refused(server_gpg: Gpg, garbage: str) -> None:
    with pytest.raises(KeyImportError, match="found 0"):
        server_gpg.inspect_public_key(garbage)


def test_expired_key_is_refused(server_gpg: Gpg, other_keys: OtherKeys) -> None:
    key = server_gpg.inspect_public_key(other_keys.expiring)  # valid today
    with pytest.raises(KeyImportError, match="expired"):
        server_gpg.inspect_public_key(other_keys.expiring, now=time.time() + 10 * 86400)
    with pytest.raises(KeyImportError, match="expired"):
        server_gpg.check_usable(key, at=time.time() + 10 * 86400)


def test_sign_only_key_is_refused(server_gpg: Gpg, other_keys: OtherKeys) -> None:
    with pytest.raises(KeyImportError, match="no usable encryption subkey"):
        server_gpg.inspect_public_key(other_keys.sign_only)


def test_revoked_key_is_refused(server_gpg: Gpg, other_keys: OtherKeys) -> None:
    with pytest.raises(KeyImportError, match="revoked"):
        server_gpg.inspect_public_key(other_keys.revoked)


@pytest.mark.parametrize(
    "name", ["rsa1024", "rsa2048", "ed25519+rsa2048", "rsa2048+cv25519", "nistp256"]
)
def test_weak_key_is_refused(server_gpg: Gpg, weak_keys: dict[str, str], name: str) -> None:
    with pytest.raises(KeyImportError, match="too weak"):
        server_gpg.inspect_public_key(weak_keys[name])


def test_rsa4096_key_is_accepted(server_gpg: Gpg, rsa4096_key: str) -> None:
    assert server_gpg.inspect_public_key(rsa4096_key).armored == rsa4096_key


def test_curve25519_key_is_accepted(server_gpg: Gpg, other_keys: OtherKeys) -> None:
    assert server_gpg.inspect_public_key(other_keys.another)  # ed25519 with cv25519


def test_a_weak_encryption_subkey_beside_a_strong_one_is_refused(server_gpg: Gpg) -> None:
    """gpg encrypts to the newest encryption subkey, so every usable one must be strong."""
    uid = "Mixed <m@example.org>"
    with keyring() as home:
        earlier = ("--faked-system-time", "20200101T000000!")  # so the weak subkey is the newest
        run_gpg(
            home, *earlier, "--passphrase", "", "--quick-gen-key", uid, "ed25519", "sign", "never"
        )
        fingerprint = key_fingerprint(home, uid)
        run_gpg(
            home, *earlier, "--passphrase", "", "--quick-add-key", fingerprint, "cv25519", "encr"
        )
        run_gpg(home, "--passphrase", "", "--quick-add-key", fingerprint, "rsa1024", "encr")
        mixed = run_gpg(home, "--armor", "--export", uid)
    with pytest.raises(KeyImportError, match="too weak"):
        server_gpg.inspect_public_key(mixed)


def test_reader_keyring_refuses_to_export_an_unknown_key(reader_keys: ReaderKeys) -> None:
    with pytest.raises(KeyImportError):
        reader_keys.gpg.export_public_key(UNKNOWN)
