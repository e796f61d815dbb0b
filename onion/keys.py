"""Onion service keys (ed25519) and client authorization keys (x25519), in Tor's own formats.

A v3 address is base32(public key | checksum | version). A service key is kept as Tor keeps it
in a HiddenServiceDir (`hs_ed25519_secret_key`: a 32-byte header and the 64-byte expanded
secret key), so the same file serves torrc mode and the control port (`ED25519-V3:<base64>`).
Client keys are raw 32-byte x25519 keys in base32 without padding, as Tor writes them.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from onion.errors import ClientError, StateError

SECRET_HEADER = b"== ed25519v1-secret: type0 ==\x00\x00\x00"
PUBLIC_HEADER = b"== ed25519v1-public: type0 ==\x00\x00\x00"
SECRET_FILE = "hs_ed25519_secret_key"  # noqa: S105 - a file name, as Tor names it
PUBLIC_FILE = "hs_ed25519_public_key"
HOSTNAME_FILE = "hostname"
ONION_VERSION = b"\x03"
_ADDRESS = re.compile(r"^[a-z2-7]{56}$")
_BASE32_KEY = re.compile(r"^[A-Z2-7]{52}$")


def b32(data: bytes) -> str:
    """Base32 without padding, upper case: how Tor writes x25519 keys."""
    return base64.b32encode(data).decode("ascii").rstrip("=")


def unb32(text: str) -> bytes:
    return base64.b32decode(text + "=" * (-len(text) % 8))


def onion_address(public_key: bytes) -> str:
    """The 56-character v3 address (without `.onion`) of an ed25519 public key."""
    checksum = hashlib.sha3_256(b".onion checksum" + public_key + ONION_VERSION).digest()[:2]
    return b32(public_key + checksum + ONION_VERSION).lower()


def check_address(address: str) -> str:
    """`address` without `.onion`, lower case, after checking its checksum and version."""
    bare = address.strip().lower().removesuffix(".onion")
    if not _ADDRESS.match(bare):
        raise ClientError(f"{address!r} is not a v3 onion address (56 base32 characters)")
    raw = unb32(bare.upper())
    if raw[-1:] != ONION_VERSION or onion_address(raw[:32]) != bare:
        raise ClientError(f"{address!r} is not a v3 onion address (bad checksum)")
    return bare


@dataclass(frozen=True)
class ServiceKey:
    """An onion service's identity: the expanded ed25519 secret key and its public key."""

    expanded_secret: bytes  # 64 bytes: clamped scalar, then the nonce prefix
    public: bytes  # 32 bytes

    @classmethod
    def generate(cls) -> ServiceKey:
        seed = os.urandom(32)
        digest = bytearray(hashlib.sha512(seed).digest())
        digest[0] &= 248  # ed25519 clamping, as Tor's ed25519_extsk does
        digest[31] &= 127
        digest[31] |= 64
        public = (
            Ed25519PrivateKey.from_private_bytes(seed)
            .public_key()
            .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        )
        return cls(bytes(digest), public)

    @property
    def address(self) -> str:
        return onion_address(self.public)

    @property
    def control_blob(self) -> str:
        """The key as ADD_ONION takes it."""
        return "ED25519-V3:" + base64.b64encode(self.expanded_secret).decode("ascii")

    def write(self, directory: Path) -> None:
        """Write Tor's three files into `directory` (made 0700), each 0600."""
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        directory.chmod(0o700)
        write_private(directory / SECRET_FILE, SECRET_HEADER + self.expanded_secret)
        write_private(directory / PUBLIC_FILE, PUBLIC_HEADER + self.public)
        write_private(directory / HOSTNAME_FILE, f"{self.address}.onion\n".encode())

    @classmethod
    def read(cls, directory: Path) -> ServiceKey:
        try:
            secret = (directory / SECRET_FILE).read_bytes()
            public = (directory / PUBLIC_FILE).read_bytes()
        except OSError as exc:
            raise StateError(f"cannot read the onion key in {directory}: {exc.strerror}") from None
        if not (
            secret.startswith(SECRET_HEADER)
            and len(secret) == len(SECRET_HEADER) + 64
            and public.startswith(PUBLIC_HEADER)
            and len(public) == len(PUBLIC_HEADER) + 32
        ):
            raise StateError(f"the onion key in {directory} is damaged (not Tor's ed25519 format)")
        return cls(secret[len(SECRET_HEADER) :], public[len(PUBLIC_HEADER) :])

    @classmethod
    def load_or_create(cls, directory: Path) -> ServiceKey:
        if (directory / SECRET_FILE).exists():
            return cls.read(directory)
        key = cls.generate()
        key.write(directory)
        return key


@dataclass(frozen=True)
class ClientKeyPair:
    """One journalist device's x25519 key pair for v3 client authorization."""

    private: bytes
    public: bytes

    @classmethod
    def generate(cls) -> ClientKeyPair:
        private = X25519PrivateKey.generate()
        return cls(
            private.private_bytes(
                serialization.Encoding.Raw,
                serialization.PrivateFormat.Raw,
                serialization.NoEncryption(),
            ),
            private.public_key().public_bytes(
                serialization.Encoding.Raw, serialization.PublicFormat.Raw
            ),
        )

    @property
    def public_b32(self) -> str:
        return b32(self.public)

    @property
    def private_b32(self) -> str:
        return b32(self.private)

    def auth_line(self) -> str:
        """The service side: a file in `authorized_clients/`, or ADD_ONION's ClientAuthV3."""
        return f"descriptor:x25519:{self.public_b32}"

    def auth_private_line(self, address: str) -> str:
        """The client side: a `.auth_private` file for ClientOnionAuthDir or Tor Browser."""
        return f"{check_address(address)}:descriptor:x25519:{self.private_b32}"


def parse_auth_line(text: str) -> str:
    """The base32 public key of an `authorized_clients/*.auth` line."""
    kind, _, key = text.strip().rpartition(":")
    if kind != "descriptor:x25519" or not _BASE32_KEY.match(key):
        raise StateError(f"not an authorized client line: {text.strip()[:80]!r}")
    return key


def write_private(path: Path, data: bytes) -> None:
    """Write a file readable by its owner only, replacing any older one atomically."""
    temporary = path.with_name(f".{path.name}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    temporary.replace(path)
