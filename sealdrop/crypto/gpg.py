"""The only module that talks to GnuPG: an isolated keyring, streaming encryption, source keys."""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO, NewType

import gnupg

from sealdrop.crypto.key_policy import require_strong
from sealdrop.errors import DecryptionFailed, EncryptionFailed, KeyImportError

Fingerprint = NewType("Fingerprint", str)
Passphrase = NewType("Passphrase", str)

# gpg-agent must never remember a source's passphrase between requests (DESIGN: "forgets both"):
# default-cache-ttl 0 stores no passphrase at all. max-cache-ttl only bounds the one-operation
# nonce entry that lets key generation self-sign the new key; at 0 it expired whenever the clock
# crossed a second mid-generation, and about 1 source creation in 100 failed.
# The passphrases it protects are 256-bit scrypt outputs, so gpg's own S2K stretching adds no
# strength; its calibrated default made each source key cost ~2 s instead of ~40 ms.
AGENT_CONF = "default-cache-ttl 0\nmax-cache-ttl 10\nallow-loopback-pinentry\ns2k-count 65536\n"
GPG_CONF = "no-greeting\nno-comments\nno-emit-version\nuse-agent\n"
# Files are gzipped before gpg sees them; gpg compressing again would cost 5x the time for nothing.
NO_COMPRESSION = ["--compress-algo", "none"]
PIPE_CHUNK = 1 << 20
F_SETPIPE_SZ = 1031  # from <linux/fcntl.h>; Python 3.11's fcntl module does not name it
AGENT_EXIT_SECONDS = 3.0
SOURCE_KEY_UID = "Sealdrop source key"
# Every source key says it was made on the same day, so the keyring does not record to the
# second when each source arrived (DESIGN: timestamps stored for sources are coarse).
SOURCE_KEY_DATE = "20130514T000000"


def _write_private_file(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)


class StreamEncryptor:
    """A write-only stream that gpg encrypts into `output` as it arrives, never buffered whole.

    Use write() then finish(); abort() stops gpg. Removing a partial output is the caller's job.
    """

    def __init__(self, gpg: gnupg.GPG, recipients: Sequence[Fingerprint], output: Path) -> None:
        self._output = output
        read_fd, write_fd = os.pipe()
        with contextlib.suppress(OSError):  # Linux only; a larger pipe means fewer thread wake-ups
            fcntl.fcntl(write_fd, F_SETPIPE_SZ, PIPE_CHUNK)
        self._reader = os.fdopen(read_fd, "rb", buffering=PIPE_CHUNK)
        self._writer: BinaryIO | None = os.fdopen(write_fd, "wb", buffering=0)
        self._result: Any = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._run, args=(gpg, list(recipients)), name="gpg-encrypt", daemon=True
        )
        self._thread.start()

    def _run(self, gpg: gnupg.GPG, recipients: list[str]) -> None:
        try:
            self._result = gpg.encrypt_file(
                self._reader,
                recipients,
                armor=False,
                always_trust=True,
                output=str(self._output),
                extra_args=NO_COMPRESSION,
            )
        except BaseException as exc:
            self._error = exc
        finally:
            self._reader.close()

    def write(self, data: bytes) -> int:
        if self._writer is None:
            raise EncryptionFailed("The encrypted stream was already closed.")
        view = memoryview(data)
        try:
            while view:
                written = self._writer.write(view)
                view = view[written or 0 :]
        except OSError:
            self.abort()
            raise EncryptionFailed("gpg stopped while encrypting; nothing was stored.") from None
        return len(data)

    def _close_input(self) -> None:
        if self._writer is not None:
            with contextlib.suppress(OSError):
                self._writer.close()
            self._writer = None
        self._thread.join()

    def finish(self) -> None:
        """Wait for gpg; raise EncryptionFailed unless it succeeded (the caller wipes output)."""
        self._close_input()
        if self._error is not None or self._result is None or not self._result.ok:
            raise EncryptionFailed("gpg could not encrypt the data; nothing was stored.")

    def abort(self) -> None:
        """Stop gpg; what it wrote stays for the caller to wipe with the store's secure delete."""
        self._close_input()


class Gpg:
    """A keyring in its own GNUPGHOME (0700) with an agent that caches no passphrase."""

    def __init__(self, home: Path, *, binary: str = "gpg") -> None:
        home.mkdir(mode=0o700, parents=True, exist_ok=True)
        home.chmod(0o700)
        for name, text in (("gpg-agent.conf", AGENT_CONF), ("gpg.conf", GPG_CONF)):
            if not (home / name).exists():
                _write_private_file(home / name, text)
        self.home = home
        self._binary = shutil.which(binary) or binary
        self._gpg = gnupg.GPG(gpgbinary=self._binary, gnupghome=str(home))
        self._gpg.encoding = "utf-8"
        self._gpg.buffer_size = PIPE_CHUNK

    # --- keys -------------------------------------------------------------------------------

    def inspect_public_key(self, armored: str, *, now: float | None = None) -> Fingerprint:
        """Check `armored` is one usable public key able to encrypt; return its fingerprint."""
        if "PRIVATE KEY BLOCK" in armored:
            raise KeyImportError(
                "That file holds a private key: give the server only the public key."
            )
        scanned = self._gpg.scan_keys_mem(armored)
        if any(key.get("type") == "sec" for key in scanned):
            raise KeyImportError(
                "That file holds a private key: give the server only the public key."
            )
        if len(scanned) != 1:
            raise KeyImportError(f"Expected exactly one OpenPGP public key, found {len(scanned)}.")
        key = scanned[0]
        moment = time.time() if now is None else now
        if key.get("trust") == "r":
            raise KeyImportError("That key is revoked and cannot be used.")
        if key.get("trust") == "e" or (key.get("expires") and float(key["expires"]) <= moment):
            raise KeyImportError("That key has expired: extend it or make a new one.")
        if "E" not in key.get("cap", ""):
            raise KeyImportError("That key has no usable encryption subkey.")
        require_strong(key)
        return Fingerprint(key["fingerprint"])

    def import_public_key(self, armored: str) -> Fingerprint:
        fingerprint = self.inspect_public_key(armored)
        result = self._gpg.import_keys(armored)
        if fingerprint not in (result.fingerprints or []):
            raise KeyImportError("gpg refused to import that key.")
        if self.has_secret_key(fingerprint):
            raise KeyImportError(
                "The server keyring holds the private half of that key: remove it."
            )
        return fingerprint

    def export_public_key(self, fingerprint: Fingerprint) -> str:
        armored = str(self._gpg.export_keys(fingerprint))
        if "BEGIN PGP PUBLIC KEY BLOCK" not in armored:
            raise KeyImportError(f"No public key {fingerprint} in the keyring.")
        return armored

    def has_public_key(self, fingerprint: Fingerprint) -> bool:
        return any(k["fingerprint"] == fingerprint for k in self._gpg.list_keys(keys=[fingerprint]))

    def has_secret_key(self, fingerprint: Fingerprint) -> bool:
        return fingerprint in self.secret_fingerprints()

    def secret_fingerprints(self) -> set[Fingerprint]:
        return {Fingerprint(k["fingerprint"]) for k in self._gpg.list_keys(secret=True)}

    def generate_source_key(self, passphrase: Passphrase) -> Fingerprint:
        """An ed25519/cv25519 key pair for a source's replies, its secret under `passphrase`."""
        if "\n" in passphrase or "\r" in passphrase:
            raise ValueError("a key passphrase is one line")
        # Written by hand: python-gnupg's helper would put the server's user@hostname in the uid.
        params = (
            "Key-Type: EDDSA\nKey-Curve: ed25519\nKey-Usage: sign\n"
            "Subkey-Type: ECDH\nSubkey-Curve: cv25519\nSubkey-Usage: encrypt\n"
            f"Name-Real: {SOURCE_KEY_UID}\nExpire-Date: 0\nCreation-Date: {SOURCE_KEY_DATE}\n"
            f"Passphrase: {passphrase}\n%commit\n"
        )
        result = self._gpg.gen_key(params)
        if not result.fingerprint:
            raise EncryptionFailed("gpg could not make a key for this source; try again.")
        return Fingerprint(result.fingerprint)

    def delete_key_pair(self, fingerprint: Fingerprint) -> None:
        """Remove a source's key pair; the secret part needs no passphrase in batch expert mode."""
        subprocess.run(  # noqa: S603 - fixed arguments, the fingerprint comes from our database
            [
                self._binary,
                "--homedir",
                str(self.home),
                "--batch",
                "--yes",
                "--pinentry-mode",
                "loopback",
                "--delete-secret-and-public-key",
                fingerprint,
            ],
            check=False,
            capture_output=True,
        )

    # --- encryption -------------------------------------------------------------------------

    def open_encryptor(self, recipients: Sequence[Fingerprint], output: Path) -> StreamEncryptor:
        """Encrypt into `output`, created here 0600 so no other user can open the ciphertext."""
        os.close(os.open(output, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        return StreamEncryptor(self._gpg, recipients, output)

    def encrypt_bytes(self, data: bytes, recipients: Sequence[Fingerprint], output: Path) -> None:
        encryptor = self.open_encryptor(recipients, output)
        encryptor.write(data)
        encryptor.finish()

    def decrypt_with_passphrase(self, ciphertext: Path, passphrase: Passphrase) -> bytes:
        """Decrypt a reply for its source; every failure is the same opaque DecryptionFailed."""
        try:
            with ciphertext.open("rb") as handle:
                result = self._gpg.decrypt_file(handle, passphrase=passphrase)
        except (OSError, ValueError):
            raise DecryptionFailed("This reply could not be decrypted.") from None
        if not result.ok:
            raise DecryptionFailed("This reply could not be decrypted.")
        return bytes(result.data)

    def close(self) -> None:
        """Stop this keyring's gpg-agent, so that no process outlives the instance."""
        listed = subprocess.run(  # noqa: S603 - fixed arguments
            ["gpgconf", "--homedir", str(self.home), "--list-dirs", "agent-socket"],  # noqa: S607
            check=False,
            capture_output=True,
            text=True,
        )
        subprocess.run(  # noqa: S603 - fixed arguments
            ["gpgconf", "--homedir", str(self.home), "--kill", "gpg-agent"],  # noqa: S607
            check=False,
            capture_output=True,
        )
        # gpgconf returns while the agent still listens; a gpg started on this home meanwhile
        # connects to the dying agent and fails, so wait until the agent has removed its socket.
        socket = Path(listed.stdout.strip()) if listed.returncode == 0 else None
        deadline = time.monotonic() + AGENT_EXIT_SECONDS
        while socket is not None and socket.exists() and time.monotonic() < deadline:
            time.sleep(0.01)


def generate_reader_key_pair(gpg: Gpg, uid: str) -> Fingerprint:
    """An unprotected ed25519/cv25519 Submission key pair, for demos and tests in a reader keyring.

    Never called on a server keyring: the server must hold only the public half (invariant 2).
    """
    params = (
        "Key-Type: EDDSA\nKey-Curve: ed25519\nKey-Usage: sign\n"
        "Subkey-Type: ECDH\nSubkey-Curve: cv25519\nSubkey-Usage: encrypt\n"
        f"Name-Real: {uid}\nExpire-Date: 0\n%no-protection\n%commit\n"
    )
    result = gpg._gpg.gen_key(params)
    if not result.fingerprint:
        raise EncryptionFailed("gpg could not make the key pair.")
    return Fingerprint(result.fingerprint)
