"""One carried item -> gpg -> (gunzip) -> a private temp file in the vault, never whole in memory.

The plaintext goes to a temp name inside the vault (same file system, so the final rename is
atomic), is fsynced, and only then renamed by the vault. Any failure shreds the temp file: a
failed item leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from reader.carried import Carried, Chunks
from reader.shred import shred_file
from sealdrop.crypto.compress import GzipFormatError, GzipReader
from sealdrop.crypto.submission_key import KeyPassphrase, SubmissionKeyring
from sealdrop.domain.items import Kind
from sealdrop.errors import DecryptionFailed, ReaderRefused

# A file or message larger than this is refused (a forged item can hold a compression bomb).
DEFAULT_MAX_ITEM_BYTES = 64 << 30
# Bytes the disk must keep free after each write: the reader never fills the vault's disk.
MIN_FREE_BYTES = 256 << 20
_SPACE_CHECK_BYTES = 64 << 20
# The plaintext is handed to the disk every this many bytes while it is written (the writeback
# starts then, not at the final fdatasync), so syncing a large file at the end waits for the
# last few MiB only, not for all of it.
_WRITEBACK_BYTES = 16 << 20
# And synced every this many bytes by a thread of its own: the disk (or a virtual machine's host)
# may hold what it was handed in a cache that only a sync empties, and emptying it while gpg
# still decrypts leaves the final fdatasync little to wait for.
_EARLY_SYNC_BYTES = 64 << 20
_ARMORED = b"-----BEGIN PGP MESSAGE-----"
# First byte of a binary OpenPGP message to a public key: a PKESK packet, old or new format.
_PKESK_FIRST = {0x84, 0x85, 0x86, 0x87, 0xC1}
_START_WRITEBACK = os.POSIX_FADV_DONTNEED  # on dirty pages: start writing them out, not waiting
MAX_LAYERS = 3  # a message inside a message inside a message: enough for any real source


@dataclass
class Decrypted:
    """An item's plaintext in a temp file of the vault, ready to be renamed into place."""

    temp: Path
    size: int
    cipher_sha256: str
    original_name: str | None
    double_encrypted: bool
    note: str | None


class _EarlySync:
    """fdatasync of a file being written, in a thread of its own, when asked (at most one at a
    time); it only gets ahead of the final fdatasync, which alone makes an item durable."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._asked = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None

    def ask(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="early-sync", daemon=True)
            self._thread.start()
        self._asked.set()

    def _run(self) -> None:
        while True:
            self._asked.wait()
            if self._stopping:
                return
            self._asked.clear()
            try:
                os.fdatasync(self._fd)
            except OSError:
                return  # the final fdatasync reports it

    def stop(self) -> None:
        """Wait for the thread: the file may be closed once this returned."""
        if self._thread is not None:
            self._stopping = True
            self._asked.set()
            self._thread.join()
            self._thread = None


class _Writer:
    """The sink gpg's output goes to: counts, bounds, checks free space, writes. stop() it
    before its file is closed."""

    def __init__(self, handle: int, *, limit: int, gunzip: bool) -> None:
        self._fd = handle
        self._limit = limit
        self.size = 0
        self._next_check = 0
        self._handed = 0  # bytes whose writeback has been started
        self._synced = 0  # bytes an early sync has been asked for
        self._early = _EarlySync(handle)
        self.gzip = GzipReader() if gunzip else None

    def __call__(self, data: memoryview) -> None:
        pieces: Iterator[bytes] | tuple[memoryview, ...]
        try:
            pieces = self.gzip.feed(data) if self.gzip is not None else (data,)
            for piece in pieces:
                self._write(piece)
        except GzipFormatError as error:
            raise ReaderRefused(f"the file inside is damaged ({error})") from None

    def _write(self, piece: bytes | memoryview) -> None:
        self.size += len(piece)
        if self.size > self._limit:
            raise ReaderRefused(
                f"it is larger than the reader's limit of {self._limit} bytes; refused"
            )
        if self.size >= self._next_check:
            self._next_check = self.size + _SPACE_CHECK_BYTES
            free = os.statvfs(f"/proc/self/fd/{self._fd}")
            if free.f_bavail * free.f_frsize < MIN_FREE_BYTES + _SPACE_CHECK_BYTES:
                raise ReaderRefused("the vault's disk is almost full; free some space first")
        view = memoryview(piece)
        while view:
            view = view[os.write(self._fd, view) :]
        if self.size - self._handed >= _WRITEBACK_BYTES:
            # Starts the writeback of what was written since the last call and returns at once
            # (Linux); the fdatasync before the rename is still what makes the item durable.
            os.posix_fadvise(self._fd, self._handed, self.size - self._handed, _START_WRITEBACK)
            self._handed = self.size
        if self.size - self._synced >= _EARLY_SYNC_BYTES:
            self._early.ask()
            self._synced = self.size

    def stop(self) -> None:
        self._early.stop()

    def finish(self) -> None:
        if self.gzip is not None:
            try:
                self.gzip.close()
            except GzipFormatError as error:
                raise ReaderRefused(f"the file inside is damaged ({error})") from None


def _new_temp(tmp_dir: Path) -> tuple[Path, int]:
    path = tmp_dir / f"part-{secrets.token_hex(8)}"
    return path, os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)


def _hashed(chunks: Chunks, digest: hashlib._Hash) -> Chunks:
    for chunk in chunks:
        digest.update(chunk)
        yield chunk


def decrypt_item(
    item: Carried,
    keyring: SubmissionKeyring,
    passphrase: KeyPassphrase,
    *,
    tmp_dir: Path,
    max_bytes: int = DEFAULT_MAX_ITEM_BYTES,
) -> Decrypted:
    """Decrypt `item` into a new temp file under `tmp_dir`; on any error, nothing is left."""
    digest = hashlib.sha256()
    temp, fd = _new_temp(tmp_dir)
    writer = _Writer(fd, limit=max_bytes, gunzip=item.kind is Kind.FILE)
    try:
        if item.spans is not None and item.sha256:  # checked against item.sha256 as they go
            with item.spans() as spans:
                keyring.decrypt(spans, writer, passphrase)
        else:
            with item.open() as chunks:
                source = chunks if item.sha256 else _hashed(chunks, digest)
                keyring.decrypt(source, writer, passphrase)
        writer.finish()
        writer.stop()
        os.fdatasync(fd)
    except BaseException:
        writer.stop()
        os.close(fd)
        shred_file(temp)
        raise
    os.close(fd)
    name = writer.gzip.name if writer.gzip is not None else None
    done = Decrypted(temp, writer.size, item.sha256 or digest.hexdigest(), name, False, None)
    try:
        _open_inner_layers(done, keyring, passphrase, tmp_dir=tmp_dir, max_bytes=max_bytes)
    except BaseException:
        shred_file(done.temp)
        raise
    return done


def _looks_encrypted(path: Path) -> bool:
    with path.open("rb") as handle:
        head = handle.read(64)
    return head.lstrip().startswith(_ARMORED) or (bool(head) and head[0] in _PKESK_FIRST)


def _open_inner_layers(
    done: Decrypted,
    keyring: SubmissionKeyring,
    passphrase: KeyPassphrase,
    *,
    tmp_dir: Path,
    max_bytes: int,
) -> None:
    """A source may encrypt to the Submission Key before sending: open each such layer."""
    for _ in range(MAX_LAYERS):
        if not _looks_encrypted(done.temp):
            return
        inner, fd = _new_temp(tmp_dir)
        writer = _Writer(fd, limit=max_bytes, gunzip=False)
        try:
            with done.temp.open("rb") as handle:
                keyring.decrypt(handle, writer, passphrase)
            writer.stop()
            os.fdatasync(fd)
        except (DecryptionFailed, ReaderRefused) as error:
            writer.stop()
            os.close(fd)
            shred_file(inner)
            done.note = f"holds an OpenPGP message this reader cannot open: {error}"
            return
        except BaseException:
            writer.stop()
            os.close(fd)
            shred_file(inner)
            raise
        os.close(fd)
        shred_file(done.temp)
        done.temp, done.size, done.double_encrypted = inner, writer.size, True


@contextlib.contextmanager
def temp_dir(vault: Path) -> Iterator[Path]:
    """The vault's `tmp/` (0700), swept of leftovers of a crashed run before use."""
    path = vault / "tmp"
    path.mkdir(mode=0o700, exist_ok=True)
    for stale in path.iterdir():
        shred_file(stale)
    yield path
