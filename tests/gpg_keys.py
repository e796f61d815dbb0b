"""Throwaway gpg keyrings and the stored key vectors the Submission Key tests import.

RSA keys take seconds to make (RSA-4096 several), so the ones the policy tests only need to
import are made once and kept in tests/vectors/keys/. To make them again:

    .venv/bin/python -m tests.gpg_keys
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

VECTORS = Path(__file__).parent / "vectors" / "keys"


def run_gpg(home: Path, *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        ["gpg", "--homedir", str(home), "--batch", *args],
        input=stdin,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def new_key(home: Path, uid: str, algo: str, usage: str, expire: str) -> str:
    run_gpg(home, "--passphrase", "", "--quick-gen-key", uid, algo, usage, expire)
    return run_gpg(home, "--armor", "--export", uid)


def key_fingerprint(home: Path, uid: str) -> str:
    return next(
        line.split(":")[9]
        for line in run_gpg(home, "--with-colons", "--list-keys", uid).splitlines()
        if line.startswith("fpr:")
    )


def rsa_key(home: Path, uid: str, bits: int) -> str:
    """An RSA key with an RSA encryption subkey of the same size, from a batch parameter file."""
    run_gpg(
        home,
        "--gen-key",
        stdin=(
            f"Key-Type: RSA\nKey-Length: {bits}\nSubkey-Type: RSA\nSubkey-Length: {bits}\n"
            f"Subkey-Usage: encrypt\nName-Real: {uid}\nExpire-Date: 0\n%no-protection\n%commit\n"
        ),
    )
    return run_gpg(home, "--armor", "--export", uid)


def with_subkey(home: Path, uid: str, primary: str, subkey: str) -> str:
    run_gpg(home, "--passphrase", "", "--quick-gen-key", uid, primary, "sign", "never")
    run_gpg(home, "--passphrase", "", "--quick-add-key", key_fingerprint(home, uid), subkey, "encr")
    return run_gpg(home, "--armor", "--export", uid)


@contextlib.contextmanager
def keyring() -> Iterator[Path]:
    """A throwaway gpg home (short path for the agent socket), its agent stopped afterwards."""
    home = Path(tempfile.mkdtemp(prefix="sdk-"))
    try:
        yield home
    finally:
        subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "gpg-agent"], check=False)
        shutil.rmtree(home, ignore_errors=True)


# name -> how to make it in a keyring; each is an armored public key, never expiring.
KEYS: dict[str, Callable[[Path], str]] = {
    "rsa1024": lambda home: rsa_key(home, "RSA 1024 <w1@example.org>", 1024),
    "rsa2048": lambda home: rsa_key(home, "RSA 2048 <w2@example.org>", 2048),
    "ed25519+rsa2048": lambda home: with_subkey(
        home, "Weak sub <w3@example.org>", "ed25519", "rsa2048"
    ),
    "rsa2048+cv25519": lambda home: with_subkey(
        home, "Weak primary <w4@example.org>", "rsa2048", "cv25519"
    ),
    "nistp256": lambda home: with_subkey(home, "NIST <w5@example.org>", "nistp256", "nistp256"),
    "rsa4096": lambda home: rsa_key(home, "RSA 4096 <s@example.org>", 4096),
}
WEAK = ["rsa1024", "rsa2048", "ed25519+rsa2048", "rsa2048+cv25519", "nistp256"]


def read_key(name: str) -> str:
    return (VECTORS / f"{name}.asc").read_text(encoding="ascii")


def main() -> None:
    VECTORS.mkdir(parents=True, exist_ok=True)
    for name, make in KEYS.items():
        with keyring() as home:
            (VECTORS / f"{name}.asc").write_text(make(home), encoding="ascii")


if __name__ == "__main__":
    main()
