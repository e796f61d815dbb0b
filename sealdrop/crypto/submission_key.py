"""The Submission private key on the air-gapped reader: make or import it, unlock it, decrypt.

The server never holds this key (its gpg.py encrypts and reads only source replies); this module
is for the reader machine alone, and an import-linter contract keeps every server package away
from it. The key lives in a long-lived GnuPG home of the reader's, protected by a passphrase the
journalist chooses; the passphrase goes to gpg through a pipe (loopback pinentry), never argv.
"""

from __future__ import annotations

import contextlib
import enum
import fcntl
import logging
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, NewType, TypeGuard

import gnupg

from sealdrop.crypto.key_policy import require_strong
from sealdrop.crypto.scratch import DEFAULT_SCRATCH, stop_agent, write_private_file
from sealdrop.crypto.stream import F_SETPIPE_SZ, PIPE_CHUNK
from sealdrop.domain.keys import Fingerprint
from sealdrop.errors import (
    DecryptionFailed,
    KeyGenerationFailed,
    KeyImportError,
    KeyPassphraseWrong,
    NoSubmissionKey,
)

# The journalist's passphrase for the Submission private key: a secret, never logged or on argv.
KeyPassphrase = NewType("KeyPassphrase", str)

# The agent remembers the unlocked key for one command's run at most: every command stops it at
# its end (forget()), and a fresh agent checks the passphrase before the first decryption.
AGENT_CONF = "allow-loopback-pinentry\ndefault-cache-ttl 600\nmax-cache-ttl 1800\n"
GPG_CONF = "no-greeting\nno-comments\nno-emit-version\nuse-agent\n"
DEFAULT_UID = "Sealdrop Submission Key"
READ_CHUNK = 1 << 20
_PROBE = b"sealdrop reader passphrase probe"


class Algorithm(enum.Enum):
    """The Submission Key kinds the server accepts (sealdrop.crypto.key_policy)."""

    CURVE25519 = "curve25519"
    RSA4096 = "rsa4096"


_KEY_PARAMS = {
    Algorithm.CURVE25519: (
        "Key-Type: EDDSA\nKey-Curve: ed25519\nKey-Usage: sign\n"
        "Subkey-Type: ECDH\nSubkey-Curve: cv25519\nSubkey-Usage: encrypt\n"
    ),
    Algorithm.RSA4096: (
        "Key-Type: RSA\nKey-Length: 4096\nKey-Usage: sign\n"
        "Subkey-Type: RSA\nSubkey-Length: 4096\nSubkey-Usage: encrypt\n"
    ),
}


@dataclass(frozen=True)
class SecretKey:
    """A Submission key pair the reader holds: its fingerprint and user id."""

    fingerprint: Fingerprint
    uid: str


def _check_passphrase_text(passphrase: str) -> None:
    if not passphrase:
        raise KeyPassphraseWrong("The key passphrase cannot be empty.")
    if any(c in passphrase for c in "\r\n\x00"):
        raise KeyPassphraseWrong("The key passphrase must be one line.")


class SubmissionKeyring:
    """The reader's GnuPG home (0700) holding the Submission private key(s)."""

    def __init__(self, home: Path, *, binary: str = "gpg", s2k_count: int | None = None) -> None:
        """`s2k_count` sets how hard the key's protection is to guess, for keys made or
        imported into a new home; None lets gpg-agent calibrate it (about 0.1 s a try on this
        machine), which production keeps. Tests pass a small count: each unlock costs that."""
        logging.getLogger("gnupg").disabled = True  # its debug log would show plaintext
        home.mkdir(mode=0o700, parents=True, exist_ok=True)
        home.chmod(0o700)
        agent = AGENT_CONF + (f"s2k-count {int(s2k_count)}\n" if s2k_count else "")
        for name, text in (("gpg-agent.conf", agent), ("gpg.conf", GPG_CONF)):
            if not (home / name).exists():
                write_private_file(home / name, text.encode())
        self.home = home
        self.binary = shutil.which(binary) or binary
        self._gpg = self._open(home)

    def _open(self, home: Path) -> gnupg.GPG:
        gpg = gnupg.GPG(gpgbinary=self.binary, gnupghome=str(home))
        gpg.encoding = "utf-8"
        return gpg

    # --- keys -------------------------------------------------------------------------------

    def secret_keys(self) -> list[SecretKey]:
        return [
            SecretKey(Fingerprint(key["fingerprint"]), (key.get("uids") or [""])[0])
            for key in self._gpg.list_keys(secret=True)
        ]

    def generate(
        self,
        passphrase: KeyPassphrase,
        *,
        uid: str = DEFAULT_UID,
        algorithm: Algorithm = Algorithm.CURVE25519,
    ) -> Fingerprint:
        """A new Submission key pair, its secret half protected by `passphrase`."""
        _check_passphrase_text(passphrase)
        if any(c in uid for c in "\r\n\x00") or not uid.strip():
            raise KeyGenerationFailed("The key's name must be one non-empty line.")
        params = (
            f"{_KEY_PARAMS[algorithm]}Name-Real: {uid}\nExpire-Date: 0\n"
            f"Passphrase: {passphrase}\n%commit\n"
        )
        result = self._gpg.gen_key(params)
        if not result.fingerprint:
            raise KeyGenerationFailed("gpg could not make the key pair; nothing was kept.")
        return Fingerprint(result.fingerprint)

    def export_public(self, fingerprint: Fingerprint) -> str:
        armored = str(self._gpg.export_keys(fingerprint))
        if "BEGIN PGP PUBLIC KEY BLOCK" not in armored:
            raise NoSubmissionKey(f"The reader holds no key {fingerprint}.")
        return armored

    def import_secret(self, data: bytes, passphrase: KeyPassphrase) -> list[Fingerprint]:
        """Import a private Submission key, after checking it in a scratch home: it must be a
        strong key with an encryption subkey, and `passphrase` must unlock it."""
        _check_passphrase_text(passphrase)
        scanned = [k for k in self._gpg.scan_keys_mem(data) if k.get("type") == "sec"]
        if not scanned:
            raise KeyImportError("That file holds no OpenPGP private key.")
        for key in scanned:
            require_strong(key)
        with self._scratch() as trial:
            imported = trial.import_keys(data, passphrase=passphrase)
            if not imported.sec_imported:
                raise KeyImportError("gpg could not import that private key.")
            fingerprints = [Fingerprint(k["fingerprint"]) for k in scanned]
            for fpr in fingerprints:
                _probe(trial, self.binary, fpr, passphrase)
        result = self._gpg.import_keys(data, passphrase=passphrase)
        if not (result.sec_imported or result.sec_read):
            raise KeyImportError("gpg could not import that private key.")
        return fingerprints

    @contextlib.contextmanager
    def _scratch(self) -> Iterator[gnupg.GPG]:
        # In RAM when there is a tmpfs (the key is still under its passphrase there), and on a
        # short path: gpg-agent's socket path must stay under ~100 characters.
        ram = DEFAULT_SCRATCH if DEFAULT_SCRATCH.is_dir() else None
        home = Path(tempfile.mkdtemp(prefix="sdr-check-", dir=ram))
        try:
            write_private_file(home / "gpg-agent.conf", b"allow-loopback-pinentry\n")
            yield self._open(home)
        finally:
            stop_agent(home)
            shutil.rmtree(home, ignore_errors=True)

    def check_passphrase(self, passphrase: KeyPassphrase) -> None:
        """KeyPassphraseWrong unless `passphrase` unlocks every Submission key here.

        Run on a fresh agent (forget() first), or a remembered passphrase would pass any text.
        """
        _check_passphrase_text(passphrase)
        keys = self.secret_keys()
        if not keys:
            raise NoSubmissionKey(
                "This reader holds no Submission Key: run `sealdrop-reader keygen` or import-key."
            )
        for key in keys:
            _probe(self._gpg, self.binary, key.fingerprint, passphrase)

    def forget(self) -> None:
        """Stop the agent, so no unlocked key or passphrase outlives the operation."""
        stop_agent(self.home)

    # --- decryption -------------------------------------------------------------------------

    def decrypt(
        self,
        ciphertext: Iterable[bytes] | IO[bytes],
        sink: Callable[[bytes], object],
        passphrase: KeyPassphrase,
    ) -> None:
        """Stream `ciphertext` (a real file, or chunks) through gpg into `sink`, 1 MiB at a time.

        Raises DecryptionFailed with the reason (not OpenPGP data, damaged, encrypted to another
        key, wrong passphrase). What `sink` got is only good once this returned; if `sink`
        raises, gpg is stopped at once and the error goes on.
        """
        decrypt_stream(self.binary, self.home, ciphertext, sink, passphrase)


def _probe(gpg: gnupg.GPG, binary: str, fingerprint: Fingerprint, passphrase: str) -> None:
    """Encrypt a few bytes to `fingerprint` and decrypt them with `passphrase`."""
    encrypted = gpg.encrypt(_PROBE, [fingerprint], armor=False, always_trust=True)
    if not encrypted.ok:
        raise KeyImportError("That key cannot encrypt; it is not a usable Submission Key.")
    got = bytearray()
    decrypt_stream(binary, Path(gpg.gnupghome), [bytes(encrypted.data)], got.extend, passphrase)
    if bytes(got) != _PROBE:
        raise KeyPassphraseWrong("The key passphrase is wrong.")


_PKDECRYPT_FAILED = "[GNUPG:] ERROR pkdecrypt_failed"
_BAD_PASSPHRASE = (4 << 24) | 11  # GPG_ERR_BAD_PASSPHRASE from gpg-agent (error source 4)
# gpg's status words, first match wins, and what each says to the journalist.
_REASONS = (
    ("BAD_PASSPHRASE", "the key passphrase is wrong"),
    ("NO_SECKEY", "it is encrypted to another key, not this reader's Submission Key"),
    ("NODATA", "it is not an OpenPGP message (damaged, or not a submission)"),
    ("BADMDC", "it is damaged (its integrity check failed)"),
    ("DECRYPTION_FAILED", "it is damaged or cut short"),
)


def _wrong_passphrase(status: str) -> bool:
    # gpg 2.2 with loopback pinentry reports it as an error code, not BAD_PASSPHRASE.
    return "[GNUPG:] BAD_PASSPHRASE" in status or f"{_PKDECRYPT_FAILED} {_BAD_PASSPHRASE}" in status


def failure_reason(status: str) -> str:
    for word, reason in _REASONS:
        if f"[GNUPG:] {word}" in status:
            return reason
    return "it is damaged or cut short (gpg could not finish decrypting it)"


def decrypt_stream(
    binary: str,
    home: Path,
    ciphertext: Iterable[bytes] | IO[bytes],
    sink: Callable[[bytes], object],
    passphrase: str,
) -> None:
    """One gpg process: passphrase on its own pipe, ciphertext in, plaintext out to `sink`."""
    secret_read, secret_write = os.pipe()
    os.write(secret_write, passphrase.encode("utf-8") + b"\n")  # far below a pipe's capacity
    os.close(secret_write)
    # A real file goes to gpg as its stdin: no thread copies it.
    direct = ciphertext if _is_regular(ciphertext) else None
    cmd = [
        binary, "--homedir", str(home), "--batch", "--no-tty", "--status-fd", "2",
        "--pinentry-mode", "loopback", "--passphrase-fd", str(secret_read), "--decrypt",
    ]  # fmt: skip
    try:
        process = subprocess.Popen(  # noqa: S603 - fixed arguments, no shell
            cmd,
            stdin=direct if direct is not None else subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            pass_fds=(secret_read,),
            bufsize=0,
        )
    finally:
        os.close(secret_read)
    for pipe in (process.stdin, process.stdout):
        if pipe is not None:  # fewer, larger hand-overs between gpg and this process
            with contextlib.suppress(OSError):
                fcntl.fcntl(pipe.fileno(), F_SETPIPE_SZ, PIPE_CHUNK)
    _Run(process, None if direct is not None else ciphertext).pump(sink)


def _is_regular(handle: object) -> TypeGuard[IO[bytes]]:
    fileno = getattr(handle, "fileno", None)
    try:
        return fileno is not None and Path(f"/proc/self/fd/{fileno()}").is_file()
    except (OSError, ValueError):
        return False


class _Run:
    """A running gpg: a thread feeds its stdin, one reads its status, the caller its output."""

    def __init__(self, process: subprocess.Popen[bytes], chunks: Iterable[bytes] | None) -> None:
        self.process = process
        self.status = bytearray()
        self.feed_error: BaseException | None = None
        self._threads = [threading.Thread(target=self._read_status, daemon=True)]
        if chunks is not None:
            self._threads.append(threading.Thread(target=self._feed, args=(chunks,), daemon=True))
        for thread in self._threads:
            thread.start()

    def _read_status(self) -> None:
        assert self.process.stderr is not None
        while data := self.process.stderr.read(65536):
            if len(self.status) < (1 << 20):  # bounded: a hostile file could make gpg chatty
                self.status += data

    def _feed(self, chunks: Iterable[bytes]) -> None:
        stdin = self.process.stdin
        assert stdin is not None
        try:
            for chunk in chunks:
                stdin.write(chunk)
        except BrokenPipeError:
            pass  # gpg stopped reading: its status says why
        except BaseException as error:  # raised again in the caller's thread
            self.feed_error = error
        finally:
            with contextlib.suppress(OSError):
                stdin.close()

    def pump(self, sink: Callable[[bytes], object]) -> None:
        stdout = self.process.stdout
        assert stdout is not None
        try:
            while data := stdout.read(READ_CHUNK):
                sink(data)
        except BaseException:
            self.process.kill()
            raise
        finally:
            self._finish()
        if self.feed_error is not None:
            raise self.feed_error
        status = self.status.decode("utf-8", errors="replace")
        if self.process.returncode != 0 or "[GNUPG:] DECRYPTION_OKAY" not in status:
            if _wrong_passphrase(status):
                raise KeyPassphraseWrong("The key passphrase is wrong.")
            raise DecryptionFailed(failure_reason(status))

    def _finish(self) -> None:
        if self.process.stdout is not None:
            self.process.stdout.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for thread in self._threads:
            thread.join()
        if self.process.stderr is not None:
            self.process.stderr.close()
