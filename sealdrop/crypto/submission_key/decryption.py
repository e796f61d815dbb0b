"""Decrypting with the Submission private key: one gpg process per ciphertext, streamed.

The passphrase reaches gpg on a pipe of its own; the ciphertext goes in (a real file as gpg's
stdin, anything else fed by a thread: pieces of bytes, or spans of an open file that the kernel
moves into gpg's pipe with splice, never copied through Python), the plaintext comes out to a
sink a piece at a time, and gpg's status lines say why a decryption failed, in one sentence for
the journalist.

Both pipes are 1 MiB. gpg reads 8 KiB and writes 4 KiB at a time, so a side that woke for each
of those would cost hundreds of thousands of wake-ups per GB (most of the reader's CPU on a large
file). Once an item is past a few MiB, a side that would find less than half a pipe of data (or
of room) first naps for a millisecond: gpg fills or drains such a pipe in about two, so it never
waits for the reader, and each hand-over moves hundreds of KiB.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import subprocess
import termios
import threading
import time
from array import array
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, NamedTuple, TypeGuard

from sealdrop.crypto.stream import F_SETPIPE_SZ, PIPE_CHUNK
from sealdrop.errors import DecryptionFailed, KeyPassphraseWrong

READ_CHUNK = 1 << 20
# Past this much output (or input), an item is large: each side waits for half a pipe (below).
_STREAMING_AFTER = 4 << 20
F_GETPIPE_SZ = 1032  # from <linux/fcntl.h>, like F_SETPIPE_SZ
_NAP = 0.001  # seconds: gpg fills or drains a 1 MiB pipe in about 2 ms
_SPAN_CUT = "it is cut short (its file ends before it does)"
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


class FileSpan(NamedTuple):
    """`length` bytes of the open file `fd` from `offset`, for gpg to read (moved by splice)."""

    fd: int
    offset: int
    length: int


# What sink() gets: a view of a reused buffer, good only until it returns (copy what it keeps).
Sink = Callable[[memoryview], object]


def decrypt_stream(
    binary: str,
    home: Path,
    ciphertext: Iterable[bytes | FileSpan] | IO[bytes],
    sink: Sink,
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


def _in_pipe(fd: int) -> int:
    """How many bytes wait in the pipe `fd` (either end)."""
    count = array("i", [0])
    fcntl.ioctl(fd, termios.FIONREAD, count)
    return count[0]


def _half_pipe(fd: int) -> int:
    """Half the pipe's capacity if F_SETPIPE_SZ made it 1 MiB; else 0, never to nap for it (a
    smaller pipe would fill during a nap and make gpg wait)."""
    try:
        size = int(fcntl.fcntl(fd, F_GETPIPE_SZ))
    except OSError:
        return 0
    return size // 2 if size >= PIPE_CHUNK else 0


def _read_full(fd: int, view: memoryview, *, patient: int) -> int:
    """Fill `view` from the pipe `fd`; fewer bytes only at the end (0). gpg writes its output a
    few KiB at a time, and handing each piece on alone cost the sink (gunzip, checks, a write)
    thousands of calls per 100 MB. When `patient` (half the pipe), a read that would find less
    than that first naps once (gpg writes hundreds of KiB meanwhile), so it is not woken for
    every 4 KiB gpg writes; at the end (gpg gone) that costs a nap or two, not a wait."""
    filled = 0
    while filled < len(view):
        if patient and _in_pipe(fd) < min(patient, len(view) - filled):
            time.sleep(_NAP)
        got = os.readv(fd, [view[filled:]])
        if not got:
            break
        filled += got
    return filled


def _splice_span(span: FileSpan, pipe: int, *, gated: int) -> None:
    """Move the span into the pipe without copying it through Python; if the file system
    cannot splice, copy it with pread and write instead. When `gated` (half the pipe), a pipe
    holding more than that is first given a nap to drain. DecryptionFailed if the file cannot
    give the span's bytes (cut short or unreadable); BrokenPipeError if gpg stopped reading."""
    at, end = span.offset, span.offset + span.length
    while at < end:
        if gated and _in_pipe(pipe) > gated:
            time.sleep(_NAP)
        try:
            moved = os.splice(span.fd, pipe, end - at, offset_src=at)
        except BrokenPipeError:
            raise
        except OSError as error:
            if error.errno not in {errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP}:
                raise _unreadable(error) from None
            copy_span(FileSpan(span.fd, at, end - at), pipe)
            return
        if not moved:
            raise DecryptionFailed(_SPAN_CUT)
        at += moved


def copy_span(span: FileSpan, pipe: int) -> None:
    """The span into the pipe through a buffer, for a file system that cannot splice; the
    same errors as a spliced span."""
    with memoryview(bytearray(max(1, min(READ_CHUNK, span.length)))) as buffer:
        at, end = span.offset, span.offset + span.length
        while at < end:
            try:
                got = os.preadv(span.fd, [buffer[: end - at]], at)
            except OSError as error:
                raise _unreadable(error) from None
            if not got:
                raise DecryptionFailed(_SPAN_CUT)
            at += got
            view = buffer[:got]
            while view:
                view = view[os.write(pipe, view) :]


def _unreadable(error: OSError) -> DecryptionFailed:
    return DecryptionFailed(f"it could not be read ({error.strerror or error})")


def _is_regular(handle: object) -> TypeGuard[IO[bytes]]:
    fileno = getattr(handle, "fileno", None)
    try:
        return fileno is not None and Path(f"/proc/self/fd/{fileno()}").is_file()
    except (OSError, ValueError):
        return False


class _Run:
    """A running gpg: a thread feeds its stdin, one reads its status, the caller its output."""

    def __init__(
        self, process: subprocess.Popen[bytes], chunks: Iterable[bytes | FileSpan] | None
    ) -> None:
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

    def _feed(self, chunks: Iterable[bytes | FileSpan]) -> None:
        stdin = self.process.stdin
        assert stdin is not None
        fed, half = 0, _half_pipe(stdin.fileno())
        try:
            for chunk in chunks:
                if isinstance(chunk, FileSpan):
                    gated = half if fed >= _STREAMING_AFTER else 0
                    _splice_span(chunk, stdin.fileno(), gated=gated)
                    fed += chunk.length
                else:
                    stdin.write(chunk)
        except BrokenPipeError:
            pass  # gpg stopped reading: its status says why
        except BaseException as error:  # raised again in the caller's thread
            self.feed_error = error
        finally:
            with contextlib.suppress(OSError):
                stdin.close()

    def pump(self, sink: Sink) -> None:
        stdout = self.process.stdout
        assert stdout is not None
        total = 0
        try:
            with memoryview(bytearray(READ_CHUNK)) as view:
                patient = 0
                while got := _read_full(stdout.fileno(), view, patient=patient):
                    sink(view[:got])
                    total += got
                    if total >= _STREAMING_AFTER and not patient:
                        patient = _half_pipe(stdout.fileno())
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
