"""GnuPG homes that outlive one operation, none of them the server's: an old keyring to move
the source keys out of (once, on upgrade), an admin's home to decrypt a backup archive with, and
the reader keyring the demo and the tests keep.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import gnupg

from sealdrop.crypto.gpg import export_source_key, silence_gnupg_log
from sealdrop.crypto.scratch import stop_agent
from sealdrop.crypto.source_keys import SourceKey
from sealdrop.crypto.stream import PIPE_CHUNK, StreamDecryptor
from sealdrop.domain.keys import Fingerprint, PublicKey
from sealdrop.errors import KeyGenerationFailed, KeyImportError, RestoreRefused


def read_legacy_keyring(home: Path) -> tuple[dict[Fingerprint, SourceKey], list[PublicKey]]:
    """Every key pair (with its agent key file) and public-only key of an old long-lived home.

    For the one-time move out of the keyring that versions before 0003 kept in the data dir.
    """
    silence_gnupg_log()
    gpg = gnupg.GPG(gnupghome=str(home))
    gpg.encoding = "utf-8"
    try:
        secret = {Fingerprint(k["fingerprint"]) for k in gpg.list_keys(secret=True)}
        pairs = {fpr: export_source_key(gpg, home, fpr) for fpr in secret}
        public = [
            PublicKey(Fingerprint(k["fingerprint"]), str(gpg.export_keys(k["fingerprint"])))
            for k in gpg.list_keys()
            if k["fingerprint"] not in secret
        ]
    finally:
        stop_agent(home)
    return pairs, public


def open_decryption(home: Path, ciphertext: BinaryIO, *, binary: str = "gpg") -> StreamDecryptor:
    """Decrypt `ciphertext` with the secret keys of an existing GnuPG `home` (an admin's, for a
    backup archive; never the server's own), as a stream; see StreamDecryptor on trusting it.

    gpg-agent may ask for the key's passphrase or a smartcard's PIN with its own pinentry.
    """
    silence_gnupg_log()
    if not (home / "pubring.kbx").exists() and not (home / "pubring.gpg").exists():
        raise RestoreRefused(f"--gnupghome {home} is not a GnuPG home with keys in it")
    gpg = gnupg.GPG(gpgbinary=shutil.which(binary) or binary, gnupghome=str(home))
    gpg.buffer_size = PIPE_CHUNK

    def decrypt(feed: Callable[[bytes], object]) -> Any:
        gpg.on_data = feed
        return gpg.decrypt_file(ciphertext)

    return StreamDecryptor(decrypt)


class Keyring:
    """A long-lived keyring: only for the newsroom's reader side (demo, tests), never the server."""

    def __init__(self, home: Path, *, binary: str = "gpg") -> None:
        silence_gnupg_log()
        home.mkdir(mode=0o700, parents=True, exist_ok=True)
        home.chmod(0o700)
        self.home = home
        self._gpg = gnupg.GPG(gpgbinary=shutil.which(binary) or binary, gnupghome=str(home))
        self._gpg.encoding = "utf-8"

    def generate_reader_key_pair(self, uid: str) -> Fingerprint:
        """An unprotected ed25519/cv25519 Submission key pair; its private half stays here."""
        params = (
            "Key-Type: EDDSA\nKey-Curve: ed25519\nKey-Usage: sign\n"
            "Subkey-Type: ECDH\nSubkey-Curve: cv25519\nSubkey-Usage: encrypt\n"
            f"Name-Real: {uid}\nExpire-Date: 0\n%no-protection\n%commit\n"
        )
        result = self._gpg.gen_key(params)
        if not result.fingerprint:
            raise KeyGenerationFailed("gpg could not make the key pair.")
        return Fingerprint(result.fingerprint)

    def export_public_key(self, fingerprint: Fingerprint) -> str:
        armored = str(self._gpg.export_keys(fingerprint))
        if "BEGIN PGP PUBLIC KEY BLOCK" not in armored:
            raise KeyImportError(f"No public key {fingerprint} in the keyring.")
        return armored

    def close(self) -> None:
        """Stop this keyring's gpg-agent, so that no process outlives it."""
        stop_agent(self.home)
