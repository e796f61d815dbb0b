"""The keyring file written from a key's armor seals to the same subkeys as gpg's own import,
and refuses what the import refused, for the odd keys an admin may hand the server."""

from __future__ import annotations

import base64
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sealdrop.crypto.armor import _packet_at, crc24, first_packet_tag, session_key_ids
from sealdrop.crypto.gpg import Gpg
from sealdrop.crypto.recipients import write_keyring
from sealdrop.domain.keys import Fingerprint, PublicKey
from sealdrop.errors import EncryptionFailed, KeyImportError
from tests.gpg_keys import key_fingerprint, keyring, read_key, run_gpg
from tests.harness import OddKeys, ReaderKeys

DAYS = ("20240101T000000", "20240102T000000", "20240103T000000")
# The JPEG start and end markers are all gpg checks before it takes a photo id.
JPEG = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffd9")
SUBKEY = 14
END = "-----END PGP PUBLIC KEY BLOCK-----"
NAMES = ("two", "revoked-sub", "no-binding", "bad-binding", "photo", "expired-sub")


@dataclass(frozen=True)
class Odd:
    """An armored key, its fingerprint, and its encryption subkeys' ids, oldest first."""

    armored: str
    fingerprint: Fingerprint
    subkeys: list[str]


def packets(data: bytes) -> list[bytes]:
    found, offset = [], 0
    while (packet := _packet_at(data, offset)) is not None:
        found.append(data[offset : packet[2]])
        offset = packet[2]
    assert offset == len(data)
    return found


def armor(data: bytes) -> str:
    body = base64.b64encode(data).decode()
    checksum = base64.b64encode(crc24(data).to_bytes(3, "big")).decode()
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "\n".join(["-----BEGIN PGP PUBLIC KEY BLOCK-----", "", *lines, f"={checksum}", END, ""])


def gpg_bytes(home: Path, *args: str, stdin: str | None = None) -> bytes:
    command = ["gpg", "--homedir", str(home), "--batch", "--passphrase", "", *args]
    encoded = stdin.encode() if stdin is not None else None
    return subprocess.run(command, input=encoded, capture_output=True, check=True).stdout


def edit(home: Path, uid: str, answers: str) -> None:
    fingerprint = key_fingerprint(home, uid)
    gpg_bytes(
        home,
        "--command-fd",
        "0",
        "--pinentry-mode",
        "loopback",
        "--edit-key",
        fingerprint,
        stdin=answers,
    )


def two_subkey_key(home: Path, uid: str, second_expires: str = "never") -> None:
    """ed25519 [SC] of day one, cv25519 [E] subkeys of days two and three."""
    gpg_bytes(
        home, "--faked-system-time", DAYS[0], "--quick-gen-key", uid, "ed25519", "sign", "never"
    )
    fingerprint = key_fingerprint(home, uid)
    for day, expires in ((DAYS[1], "never"), (DAYS[2], second_expires)):
        gpg_bytes(
            home,
            "--faked-system-time",
            day,
            "--quick-add-key",
            fingerprint,
            "cv25519",
            "encr",
            expires,
        )


def make_odd_keys(home: Path) -> dict[str, Odd]:
    exported: dict[str, bytes] = {}
    for name in NAMES:
        two_subkey_key(home, f"{name}@example.org", "1d" if name == "expired-sub" else "never")
    edit(home, "revoked-sub@example.org", "key 2\nrevkey\ny\n0\n\ny\nsave\n")
    (home / "photo.jpg").write_bytes(JPEG)
    edit(home, "photo@example.org", f"addphoto\n{home / 'photo.jpg'}\nsave\n")
    for name in NAMES:
        exported[name] = gpg_bytes(home, "--export", f"{name}@example.org")
    assert b"uat:" in gpg_bytes(home, "--with-colons", "--list-keys", "photo@example.org")
    parts = packets(exported["no-binding"])
    exported["no-binding"] = b"".join(parts[:-1])  # the newer subkey's binding signature
    parts = packets(exported["bad-binding"])
    last = bytearray(parts[-1])
    last[-3] ^= 1  # a bit of the signature's value
    exported["bad-binding"] = b"".join(parts[:-1]) + bytes(last)
    keys = {}
    for name in NAMES:
        listing = run_gpg(home, "--with-colons", "--list-keys", f"{name}@example.org")
        subkeys = [line.split(":")[4] for line in listing.splitlines() if line.startswith("sub:")]
        fingerprint = Fingerprint(key_fingerprint(home, f"{name}@example.org"))
        keys[name] = Odd(armor(exported[name]), fingerprint, subkeys)
    return keys


@pytest.fixture(scope="module")
def odd() -> Iterator[dict[str, Odd]]:
    with keyring() as home:
        yield make_odd_keys(home)


def sealed_to(gpg: Gpg, key: PublicKey, output: Path) -> list[str]:
    gpg.encrypt_bytes(b"which subkey?", [key], output)
    return session_key_ids(output.read_bytes())


def both_paths(gpg: Gpg, fingerprint: Fingerprint, armored: str, tmp_path: Path) -> list[str]:
    """The subkeys sealed to with the keyring file, after checking the import path agrees."""
    direct = PublicKey(fingerprint, armored)
    imported = PublicKey(fingerprint, f"Pasted:\n{armored}")  # text around it: gpg imports
    (tmp_path / "probe").mkdir()
    assert write_keyring(tmp_path / "probe", [direct])
    assert not write_keyring(tmp_path / "probe", [imported])
    ids = sealed_to(gpg, direct, tmp_path / "direct.gpg")
    assert ids == sealed_to(gpg, imported, tmp_path / "imported.gpg")
    return ids


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("two", 1),  # the newer of two encryption subkeys
        ("photo", 1),
        ("revoked-sub", 0),
        ("no-binding", 0),
        ("bad-binding", 0),
        ("expired-sub", 0),
    ],
)
def test_odd_keys_seal_to_the_same_subkey_both_ways(
    server_gpg: Gpg, odd: dict[str, Odd], tmp_path: Path, name: str, expected: int
) -> None:
    key = odd[name]
    assert both_paths(server_gpg, key.fingerprint, key.armored, tmp_path) == [key.subkeys[expected]]


def dearmored(armored: str) -> bytes:
    command = ["gpg", "--dearmor"]
    return subprocess.run(command, input=armored.encode(), capture_output=True, check=True).stdout


def fingerprint_of(armored: str) -> Fingerprint:
    command = ["gpg", "--with-colons", "--show-keys"]
    shown = subprocess.run(command, input=armored, capture_output=True, text=True, check=True)
    return Fingerprint(
        next(row.split(":")[9] for row in shown.stdout.splitlines() if row.startswith("fpr:"))
    )


@pytest.mark.parametrize(
    "variant",
    [
        lambda text: text.replace("\n\n", "\nVersion: GnuPG v2\nComment: a reader key\n\n", 1),
        lambda text: text.replace("\n", "\r\n"),
        lambda text: "\n".join(line for line in text.split("\n") if not line.startswith("=")),
    ],
    ids=["headers", "crlf", "no-checksum"],
)
def test_armor_variants_seal_to_the_key_alone(
    server_gpg: Gpg, reader_keys: ReaderKeys, tmp_path: Path, variant: Callable[[str], str]
) -> None:
    alone = sealed_to(server_gpg, reader_keys.key, tmp_path / "alone.gpg")
    text = variant(reader_keys.public_key)
    assert both_paths(server_gpg, reader_keys.fingerprint, text, tmp_path) == alone


def test_two_keys_in_one_block_seal_to_the_one_named(
    server_gpg: Gpg, reader_keys: ReaderKeys, second_reader_keys: ReaderKeys, tmp_path: Path
) -> None:
    block = armor(dearmored(reader_keys.public_key) + dearmored(second_reader_keys.public_key))
    alone = sealed_to(server_gpg, second_reader_keys.key, tmp_path / "alone.gpg")
    assert both_paths(server_gpg, second_reader_keys.fingerprint, block, tmp_path) == alone
    with pytest.raises(KeyImportError):  # and the admin could never have added it
        server_gpg.inspect_public_key(block)


def test_an_rsa4096_key_seals_to_its_subkey_both_ways(server_gpg: Gpg, tmp_path: Path) -> None:
    text = read_key("rsa4096")
    fingerprint = server_gpg.inspect_public_key(text).fingerprint
    [subkey] = [k for k in server_gpg.key_ids(text) if k != fingerprint[-16:]]
    assert both_paths(server_gpg, fingerprint, text, tmp_path) == [subkey]


def test_revoked_and_expired_keys_are_refused_both_ways(
    server_gpg: Gpg, odd_keys: OddKeys, tmp_path: Path
) -> None:
    for n, text in enumerate([odd_keys.revoked, odd_keys.expired]):
        fingerprint = fingerprint_of(text)
        for m, armored in enumerate([text, f"Pasted:\n{text}"]):
            with pytest.raises(EncryptionFailed):
                sealed_to(server_gpg, PublicKey(fingerprint, armored), tmp_path / f"{n}{m}.gpg")
    assert list(server_gpg.scratch.iterdir()) == []


def test_the_keyring_file_holds_the_public_packets_in_a_private_home(
    server_gpg: Gpg, reader_keys: ReaderKeys, tmp_path: Path
) -> None:
    encryptor = server_gpg.open_encryptor([reader_keys.key], tmp_path / "out.gpg")
    try:
        [home] = list(server_gpg.scratch.iterdir())
        assert home.stat().st_mode & 0o777 == 0o700
        assert (home / "pubring.gpg").read_bytes() == dearmored(reader_keys.public_key)
        assert not (home / "pubring.kbx").exists()
        assert not (home / "private-keys-v1.d").exists()
    finally:
        encryptor.abort()
    assert list(server_gpg.scratch.iterdir()) == []


def forged_binding(primary: Fingerprint) -> bytes:
    """A subkey binding signature claiming to be by `primary`, whose value is nonsense."""
    hashed = bytes([5, 2]) + int(time.time()).to_bytes(4, "big")  # made now
    hashed += bytes([2, 27, 0x0C])  # key flags: encrypt
    hashed += bytes([22, 33, 4]) + bytes.fromhex(primary)  # issuer fingerprint
    unhashed = bytes([9, 16]) + bytes.fromhex(primary[-16:])  # issuer key id
    body = bytes([4, 0x18, 22, 8]) + len(hashed).to_bytes(2, "big") + hashed
    body += len(unhashed).to_bytes(2, "big") + unhashed + b"\x12\x34" + b"\x00\x08\x55" * 2
    return bytes([0xC0 | 2, len(body)]) + body


def test_a_trust_packet_cannot_vouch_for_a_forged_subkey(
    server_gpg: Gpg, odd: dict[str, Odd], second_reader_keys: ReaderKeys, tmp_path: Path
) -> None:
    # gpg keeps its own "signature checked and good" marks in trust packets (tag 12) of a
    # keyring file and believes them there; an import drops them. Someone else's subkey
    # bound by a forged signature so marked must not become a recipient.
    victim = odd["two"]
    [stranger] = [
        p
        for p in packets(dearmored(second_reader_keys.public_key))
        if first_packet_tag(p) == SUBKEY
    ]
    trust = bytes([0xC0 | 12, 2, 0, 3])  # "checked, valid"
    doctored = dearmored(victim.armored) + stranger + forged_binding(victim.fingerprint) + trust
    text = armor(doctored)
    assert server_gpg.inspect_public_key(text).fingerprint == victim.fingerprint
    output = tmp_path / "sealed.gpg"
    sealed = sealed_to(server_gpg, PublicKey(victim.fingerprint, text), output)
    assert sealed == [victim.subkeys[1]]
    assert not second_reader_keys.can_decrypt(output)


@pytest.mark.parametrize(
    "extra",
    [bytes([0xC0 | 12, 2, 0, 3]), bytes([0xC0 | 5, 40]) + bytes(8)],
    ids=["trust-packet", "cut-short"],
)
def test_packets_no_export_holds_write_no_keyring(
    reader_keys: ReaderKeys, tmp_path: Path, extra: bytes
) -> None:
    text = armor(dearmored(reader_keys.public_key) + extra)
    assert not write_keyring(tmp_path, [PublicKey(reader_keys.fingerprint, text)])
    assert list(tmp_path.iterdir()) == []
