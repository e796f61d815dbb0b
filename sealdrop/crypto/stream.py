"""Streams gpg encrypts or decrypts as the bytes flow: a pipe and a thread, never a buffer."""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
from collections.abc import Callable
from typing import Any, BinaryIO

from sealdrop.errors import ArchiveInvalid, EncryptionFailed

PIPE_CHUNK = 1 << 20
F_SETPIPE_SZ = 1031  # from <linux/fcntl.h>; Python 3.11's fcntl module does not name it
# Reads the plaintext from the pipe it is given and returns gpg's result (which has `.ok`).
Encrypt = Callable[[BinaryIO], Any]


class StreamEncryptor:
    """A write-only stream that gpg encrypts as it arrives, never buffered whole.

    Use write() then finish(); abort() stops gpg. Removing a partial output is the caller's job.
    `cleanup` runs once gpg has stopped (it removes the throwaway home).
    """

    def __init__(self, encrypt: Encrypt, *, cleanup: Callable[[], object]) -> None:
        self._cleanup = cleanup
        read_fd, write_fd = os.pipe()
        with contextlib.suppress(OSError):  # Linux only; a larger pipe means fewer thread wake-ups
            fcntl.fcntl(write_fd, F_SETPIPE_SZ, PIPE_CHUNK)
        self._reader = os.fdopen(read_fd, "rb", buffering=PIPE_CHUNK)
        self._writer: BinaryIO | None = os.fdopen(write_fd, "wb", buffering=0)
        self._result: Any = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._run, args=(encrypt,), name="gpg-encrypt", daemon=True
        )
        self._thread.start()

    def _run(self, encrypt: Encrypt) -> None:
        try:
            self._result = encrypt(self._reader)
        except BaseException as exc:
            self._error = exc
        finally:
            self._reader.close()

    def write(self, data: bytes) -> int:
        if self._writer is None:
            raise ValueError("write to an encrypted stream that was already closed")
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
            self._cleanup()

    def finish(self) -> None:
        """Wait for gpg; raise EncryptionFailed unless it succeeded (the caller wipes output)."""
        self._close_input()
        if self._error is not None or self._result is None or not self._result.ok:
            raise EncryptionFailed("gpg could not encrypt the data; nothing was stored.")

    def abort(self) -> None:
        """Stop gpg; what it wrote stays for the caller to wipe with the store's secure delete."""
        self._close_input()


# Runs gpg, handing each chunk of plaintext to the callback as it comes; returns gpg's result.
Decrypt = Callable[[Callable[[bytes], object]], Any]


class StreamDecryptor:
    """A read-only stream of what gpg decrypts, through a pipe and a thread, never buffered whole.

    gpg writes plaintext before it has checked the message's integrity (the MDC comes last):
    nothing read here may be trusted, or put anywhere that matters, before finish() returns.
    """

    def __init__(self, decrypt: Decrypt) -> None:
        read_fd, write_fd = os.pipe()
        with contextlib.suppress(OSError):
            fcntl.fcntl(write_fd, F_SETPIPE_SZ, PIPE_CHUNK)
        self._reader = os.fdopen(read_fd, "rb", buffering=PIPE_CHUNK)
        self._write_fd: int | None = write_fd
        self._result: Any = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._run, args=(decrypt,), name="gpg-decrypt", daemon=True
        )
        self._thread.start()

    def _feed(self, data: bytes) -> bool:
        if self._write_fd is None:
            return False
        if not data:  # gpg's output ended
            self._close_writer()
            return False
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(self._write_fd, view) :]
        except BrokenPipeError:  # the reader stopped early: drop the rest
            self._close_writer()
        return False  # python-gnupg keeps nothing in memory

    def _close_writer(self) -> None:
        if self._write_fd is not None:
            os.close(self._write_fd)
            self._write_fd = None

    def _run(self, decrypt: Decrypt) -> None:
        try:
            self._result = decrypt(self._feed)
        except BaseException as exc:
            self._error = exc
        finally:
            self._close_writer()

    def read(self, size: int = -1) -> bytes:
        return self._reader.read(size)

    def finish(self) -> None:
        """Read what is left, wait for gpg; raise ArchiveInvalid unless it vouched for it all.

        (An admin's error, never a source's: the one decrypting stream is a backup archive.)
        """
        while self._reader.read(PIPE_CHUNK):
            pass
        self.close()
        if self._error is not None or self._result is None or not self._result.ok:
            raise ArchiveInvalid(
                "gpg could not decrypt the archive (is the private key it was made for in "
                "that GnuPG home?), or the archive was altered."
            )

    def close(self) -> None:
        """Stop reading: gpg's further output is dropped (a closed pipe), and it is waited for."""
        self._reader.close()
        self._thread.join()
