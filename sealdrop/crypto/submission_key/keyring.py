"""The reader's GnuPG home for the Submission Key: make or import a key pair, check its
passphrase, and decrypt with it (through reader-only decryption.decrypt_stream).

The passphrase goes to gpg through a pipe (loopback pinentry), never argv; the agent remembers
the unlocked key for one command's run at most.
"""

from __future__ import annotations

import contextlib
import enum
import logging
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, NewType

import gnupg

from sealdrop.crypto.key_policy import require_strong
from sealdrop.crypto.scratch import DEFAULT_SCRATCH, stop_agent, write_private_file
from sealdrop.crypto.submission_key.decryption import FileSpan, Sink, decrypt_stream
from sealdrop.domain.keys import Fingerprint
from sealdrop.errors import (
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
        ciphertext: Iterable[bytes | FileSpan] | IO[bytes],
        sink: Sink,
        passphrase: KeyPassphrase,
    ) -> None:
        """Stream `ciphertext` (a real file, or pieces: bytes, or spans of an open file that
        are spliced into gpg's pipe) through gpg into `sink`, up to 1 MiB at a time; each piece
        is a view of a reused buffer, good only until `sink` returns.

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
