"""The gpg side: the random input, `gpg --encrypt` baselines on it, and decrypting the result."""

from __future__ import annotations

import hashlib
import os
import subprocess
import time
import zlib
from collections.abc import Sequence
from pathlib import Path

CHUNK = 1 << 20


def write_random_file(path: Path, size: int) -> str:
    digest = hashlib.sha256()
    with path.open("wb") as handle:
        left = size
        while left:
            chunk = os.urandom(min(CHUNK, left))
            digest.update(chunk)
            handle.write(chunk)
            left -= len(chunk)
    return digest.hexdigest()


def gpg_encrypt_seconds(home: Path, fingerprint: str, path: Path, extra: Sequence[str]) -> float:
    output = path.with_name("baseline.gpg")
    command = [
        "gpg",
        "--homedir",
        str(home),
        "--batch",
        "--yes",
        "--trust-model",
        "always",
        *extra,
        "-r",
        fingerprint,
        "-o",
        str(output),
        "--encrypt",
        str(path),
    ]
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    seconds = time.perf_counter() - started
    output.unlink()
    return seconds


def gpg_baselines(home: Path, fingerprint: str, path: Path) -> tuple[float, float]:
    """Seconds for gpg to encrypt `path` with its default compression, then with none."""
    default = gpg_encrypt_seconds(home, fingerprint, path, [])
    plain = gpg_encrypt_seconds(home, fingerprint, path, ["--compress-algo", "none"])
    return default, plain


def decrypted_sha256(home: Path, stored: Path) -> tuple[str, int, str]:
    """(sha256, size, problem) of the gunzipped plaintext of `stored`, decrypted by the reader."""
    digest, size = hashlib.sha256(), 0
    inflate = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    gpg = subprocess.Popen(
        ["gpg", "--homedir", str(home), "--batch", "--quiet", "--decrypt", str(stored)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert gpg.stdout is not None
    assert gpg.stderr is not None
    while chunk := gpg.stdout.read(CHUNK):
        plain = inflate.decompress(chunk)
        digest.update(plain)
        size += len(plain)
    plain = inflate.flush()
    digest.update(plain)
    size += len(plain)
    errors = gpg.stderr.read().decode(errors="replace").strip()
    if gpg.wait() != 0:
        return "", size, f"gpg --decrypt failed: {errors}"
    if not inflate.eof or inflate.unused_data:
        return "", size, "the decrypted data is not exactly one complete gzip member"
    return digest.hexdigest(), size, ""


def verify_stored(
    home: Path, new: Sequence[Path], expected_sha: str, number: int, *, keep: bool
) -> str:
    """ "ok", or what is wrong with the submissions one upload added to the store."""
    if len(new) != 1:
        return f"{len(new)} new stored files"
    digest, size, problem = decrypted_sha256(home, new[0])
    ciphertext = new[0].stat().st_size
    verified = problem or ("ok" if digest == expected_sha else "DIFFERS")
    print(
        f"run {number}: stored {new[0].name}, {ciphertext:,} B ciphertext, "
        f"{size:,} B after gunzip, sha256 {verified}"
    )
    if not keep:
        new[0].unlink()
    return verified
