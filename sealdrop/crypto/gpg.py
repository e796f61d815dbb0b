"""GnuPG for the server: throwaway homes in RAM, streaming encryption, source keys (whose
stored form is in source_keys.py).

Nothing here keeps a keyring between operations. Each operation is given the public keys it needs
(as a keyring file written from their armor, see recipients.py, or imported) and, to read
replies, the one secret key file it needs, in a home that lives only for it.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO

import gnupg

from sealdrop.crypto.key_policy import require_encrypting_at, require_strong
from sealdrop.crypto.key_scans import SCANS, Listing
from sealdrop.crypto.recipients import write_keyring
from sealdrop.crypto.scratch import throwaway_home, write_private_file
from sealdrop.crypto.source_keys import (
    SOURCE_KEY_DATE,
    SourceKey,
    key_parameters,
    new_encryption_key_file,
)
from sealdrop.crypto.stream import PIPE_CHUNK, StreamEncryptor
from sealdrop.domain.keys import Fingerprint, Passphrase, PublicKey
from sealdrop.errors import (
    EncryptionFailed,
    KeyGenerationFailed,
    KeyImportError,
)

# gpg-agent must never remember a passphrase (default-cache-ttl 0). max-cache-ttl only bounds the
# one-operation nonce that lets key generation self-sign; at 0 it expired when a second ticked
# over mid-generation. The passphrases are 256-bit scrypt outputs: gpg's own S2K stretching adds
# no strength, and its calibrated default made each key cost ~2 s instead of ~40 ms.
AGENT_CONF = (
    "default-cache-ttl 0\nmax-cache-ttl 10\nallow-loopback-pinentry\ns2k-count 65536\n"
    f"faked-system-time {SOURCE_KEY_DATE}\n"
)
GPG_CONF = "no-greeting\nno-comments\nno-emit-version\nuse-agent\n"
HOME_FILES = {"gpg-agent.conf": AGENT_CONF.encode(), "gpg.conf": GPG_CONF.encode()}
# Files are gzipped before gpg sees them; gpg compressing again would cost 5x the time for nothing.
NO_COMPRESSION = ["--compress-algo", "none"]
PRIVATE_BLOCK = "PRIVATE KEY BLOCK"


def silence_gnupg_log() -> None:
    # At debug level python-gnupg logs what gpg writes, decrypted replies included.
    logger = logging.getLogger("gnupg")
    logger.disabled = True
    logger.propagate = False


def literal_date(moment: float) -> str:
    """The time gpg is told it is while encrypting: the last second of the UTC day of `moment`.

    gpg writes "now" into each ciphertext's literal packet; this keeps the day only. The end of
    the day, not its start, because gpg refuses a key created "in the future".
    """
    day = dt.datetime.fromtimestamp(moment, dt.UTC).date()
    return f"{day:%Y%m%d}T235959!"


def _encryption_keygrip(listing: list[dict[str, Any]], fingerprint: str) -> str:
    for key in listing:
        if key.get("fingerprint") != fingerprint:
            continue
        for sub in key.get("subkey_info", {}).values():
            if "e" in sub.get("cap", "") and sub.get("keygrip"):
                return str(sub["keygrip"])
    raise KeyImportError("That key has no encryption subkey with a secret part here.")


# python-gnupg's handle on each gpg binary: making one asks gpg its version (a process).
_PROBED: dict[str, gnupg.GPG] = {}


def _probed(binary: str, scratch: Path) -> gnupg.GPG:
    """The handle on `binary`, made once per process (a server makes one `Gpg`, the tests
    hundreds); each `Gpg` copies it, and each operation copies that with a home of its own."""
    prototype = _PROBED.get(binary)
    if prototype is None:
        # `gpg --version` starts no agent, so there is none to stop.
        with throwaway_home(scratch, HOME_FILES, agent=False) as home:
            prototype = gnupg.GPG(gpgbinary=binary, gnupghome=str(home))
        prototype.encoding = "utf-8"
        prototype.buffer_size = PIPE_CHUNK
        _PROBED[binary] = prototype
    return prototype


class Gpg:
    """GnuPG for the server: every operation in a throwaway home under `scratch` (a tmpfs)."""

    def __init__(
        self, scratch: Path, *, binary: str = "gpg", clock: Callable[[], float] = time.time
    ) -> None:
        silence_gnupg_log()
        self.scratch = scratch
        self._clock = clock
        binary = shutil.which(binary) or binary
        self._prototype = copy.copy(_probed(binary, scratch))

    def now(self) -> float:
        return self._clock()

    @contextlib.contextmanager
    def _home(self, *, agent: bool = True) -> Iterator[tuple[gnupg.GPG, Path]]:
        """A throwaway home; `agent=False` for public-key work, which needs no gpg-agent: gpg
        then never starts one, and there is none to stop (about half the cost of a home)."""
        with throwaway_home(self.scratch, HOME_FILES, agent=agent) as home:
            gpg = copy.copy(self._prototype)  # the probed version, without probing again
            gpg.gnupghome = str(home)
            gpg.options = None if agent else ["--no-autostart"]
            yield gpg, home

    # --- keys -------------------------------------------------------------------------------

    def inspect_public_key(self, armored: str, *, now: float | None = None) -> PublicKey:
        """Check `armored` is one usable public key able to encrypt, strong enough, valid now."""
        private = KeyImportError(
            "That file holds a private key: give the server only the public key."
        )
        if PRIVATE_BLOCK in armored:
            raise private
        scanned = self._scan(armored)
        if any(key.get("type") == "sec" for key in scanned):
            raise private
        if len(scanned) != 1:
            raise KeyImportError(f"Expected exactly one OpenPGP public key, found {len(scanned)}.")
        key = scanned[0]
        moment = self._clock() if now is None else now
        if key.get("trust") == "r":
            raise KeyImportError("That key is revoked and cannot be used.")
        if key.get("trust") == "e" or (key.get("expires") and float(key["expires"]) <= moment):
            raise KeyImportError("That key has expired: extend it or make a new one.")
        if "E" not in key.get("cap", ""):
            raise KeyImportError("That key has no usable encryption subkey.")
        require_encrypting_at(key, moment)
        require_strong(key)
        return PublicKey(Fingerprint(key["fingerprint"]), armored)

    def _scan(self, armored: str) -> Listing:
        return SCANS.get(self._prototype.gpgbinary, armored, self._scan_uncached)

    def _scan_uncached(self, armored: str) -> Listing:
        with self._home(agent=False) as (gpg, _):
            return list(gpg.scan_keys_mem(armored))

    def expiry(self, armored: str) -> float | None:
        """When the public key in `armored` expires (a Unix time), or None if it never does."""
        scanned = self._scan(armored)
        expires = scanned[0].get("expires") if len(scanned) == 1 else None
        return float(expires) if expires else None

    def key_ids(self, armored: str) -> frozenset[str]:
        """The 16-hex-digit ids of the key and its subkeys, as encrypted messages name them."""
        ids = set()
        for key in self._scan(armored):
            ids.add(str(key["keyid"]).upper())
            ids.update(str(subkey[0]).upper() for subkey in key.get("subkeys", []))
        return frozenset(ids)

    def check_usable(self, key: PublicKey, *, at: float) -> None:
        """KeyImportError saying why, if `key` cannot be encrypted to at the moment `at`."""
        if self.inspect_public_key(key.armored, now=at).fingerprint != key.fingerprint:
            raise KeyImportError("The stored key does not match its fingerprint.")

    def generate_source_key(self, passphrase: Passphrase) -> SourceKey:
        """An ed25519/cv25519 key pair for a source's replies, its secret under `passphrase`."""
        params = key_parameters(passphrase)
        with self._home() as (gpg, home):
            result = gpg.gen_key(params)
            if not result.fingerprint:
                raise KeyGenerationFailed("gpg could not make a key for this source; try again.")
            armored = str(gpg.export_keys(result.fingerprint))
            secret = new_encryption_key_file(home)
            return SourceKey(PublicKey(Fingerprint(result.fingerprint), armored), secret)

    # --- encryption -------------------------------------------------------------------------

    def open_encryptor(self, recipients: Sequence[PublicKey], output: Path) -> StreamEncryptor:
        """Encrypt into `output`, created here 0600 so no other user can open the ciphertext.

        A recipient whose key cannot be read fails here, before any byte is taken. gpg is given
        each recipient's fingerprint: a key text that holds another key makes it refuse, and
        finish() raises.
        """
        os.close(os.open(output, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        stack = contextlib.ExitStack()
        gpg, home = stack.enter_context(self._home(agent=False))
        try:
            if not _place_public_keys(gpg, home, recipients):
                raise EncryptionFailed("gpg could not encrypt the data; nothing was stored.")
        except BaseException:
            stack.close()
            output.unlink()  # still empty: nothing to wipe
            raise
        args = [*NO_COMPRESSION, "--faked-system-time", literal_date(self._clock())]
        fingerprints = [key.fingerprint for key in recipients]

        def encrypt(plaintext: BinaryIO) -> Any:
            return gpg.encrypt_file(
                plaintext,
                fingerprints,
                armor=False,
                always_trust=True,
                output=str(output),
                extra_args=args,
            )

        return StreamEncryptor(encrypt, cleanup=stack.close)

    def encrypt_bytes(self, data: bytes, recipients: Sequence[PublicKey], output: Path) -> None:
        encryptor = self.open_encryptor(recipients, output)
        encryptor.write(data)
        encryptor.finish()

    def reprotect(self, key: SourceKey, passphrase: Passphrase) -> SourceKey:
        """The same key under the same passphrase, without the second its protection was made.

        For keys moved out of an old keyring, whose agent file says when the key was made
        ("protected-at"); gpg binds that stamp to the protection, so only re-protecting with
        the passphrase (known only while the source is logged in) removes it.
        """
        with self._home() as (gpg, home):
            grip = _install_source_key(gpg, home, key)
            exported = gpg.export_keys(
                key.public.fingerprint, secret=True, armor=False, passphrase=passphrase
            )
            data = exported if isinstance(exported, bytes) else str(exported).encode("latin-1")
            (home / "private-keys-v1.d" / f"{grip}.key").unlink()
            if not data or not gpg.import_keys(data, passphrase=passphrase).sec_imported:
                raise EncryptionFailed("gpg could not encrypt the data; nothing was stored.")
            return export_source_key(gpg, home, key.public.fingerprint)

    def decrypt_with_key(
        self, ciphertexts: Sequence[Path], key: SourceKey, passphrase: Passphrase
    ) -> list[bytes | None]:
        """Decrypt each file with a source's key; None for each that fails, for any reason."""
        if not ciphertexts:
            return []
        with self._home() as (gpg, home):
            try:
                _install_source_key(gpg, home, key)
            except (KeyImportError, OSError):
                return [None] * len(ciphertexts)
            return [_decrypt(gpg, path, passphrase) for path in ciphertexts]


def _decrypt(gpg: gnupg.GPG, path: Path, passphrase: Passphrase) -> bytes | None:
    try:
        # Reading must not move the file's access time: it would tell when the source logged in.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOATIME", 0))
        with os.fdopen(fd, "rb") as handle:
            result = gpg.decrypt_file(handle, passphrase=passphrase)
    except (OSError, ValueError):
        return None
    return bytes(result.data) if result.ok else None


def export_source_key(gpg: gnupg.GPG, home: Path, fingerprint: Fingerprint) -> SourceKey:
    armored = str(gpg.export_keys(fingerprint))
    grip = _encryption_keygrip(gpg.list_keys(secret=True), fingerprint)
    secret = (home / "private-keys-v1.d" / f"{grip}.key").read_bytes()
    return SourceKey(PublicKey(fingerprint, armored), secret)


def _place_public_keys(gpg: gnupg.GPG, home: Path, keys: Sequence[PublicKey]) -> bool:
    """Give the home's gpg `keys`: as its keyring file (recipients.py), or by an import when
    only gpg reads their text; False if the import misses one of them."""
    if write_keyring(home, keys):
        return True
    imported = gpg.import_keys("\n".join(key.armored for key in keys))
    return not {key.fingerprint for key in keys} - set(imported.fingerprints or [])


def _install_source_key(gpg: gnupg.GPG, home: Path, key: SourceKey) -> str:
    if not _place_public_keys(gpg, home, [key.public]):
        raise KeyImportError("The source's public key could not be read.")
    # Listed by its fingerprint: a key text that holds another key lists nothing.
    grip = _encryption_keygrip(gpg.list_keys(), key.public.fingerprint)
    folder = home / "private-keys-v1.d"
    folder.mkdir(mode=0o700, exist_ok=True)
    write_private_file(folder / f"{grip}.key", key.secret)
    return grip
