"""Decrypting with the Submission private key: one gpg process per ciphertext, streamed.

The passphrase reaches gpg on a pipe of its own; the ciphertext goes in (a real file as gpg's
stdin, anything else fed by a thread), the plaintext comes out to a sink a piece at a time, and
gpg's status lines say why a decryption failed, in one sentence for the journalist.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import subprocess
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, TypeGuard

from sealdrop.crypto.stream import F_SETPIPE_SZ, PIPE_CHUNK
from sealdrop.errors import DecryptionFailed, KeyPassphraseWrong

READ_CHUNK = 1 << 20
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


def _read_full(pipe: IO[bytes], view: memoryview) -> bytes:
    """As many bytes as `view` holds, fewer only at the end (b""): gpg writes its output a few
    KiB at a time, and handing each piece on alone cost the sink (gunzip, checks, a write)
    thousands of calls per 100 MB. `view` is reused from call to call; the bytes are a copy."""
    filled = 0
    while filled < len(view):
        got = pipe.readinto(view[filled:])  # type: ignore[attr-defined]
        if not got:
            break
        filled += got
    return bytes(view[:filled])


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
            with memoryview(bytearray(READ_CHUNK)) as view:
                while data := _read_full(stdout, view):
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
