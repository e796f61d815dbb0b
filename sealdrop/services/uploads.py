"""The upload sink: plaintext from the request body -> gzip -> gpg -> ciphertext staged on disk.

A web framework's multipart parser writes each file part into a StagedUpload as it reads the
request, so plaintext exists only in the chunk being passed along, never in a file.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from pathlib import Path

from sealdrop.crypto.compress import GzipWriter
from sealdrop.crypto.gpg import Gpg
from sealdrop.crypto.stream import StreamEncryptor
from sealdrop.domain.keys import PublicKey
from sealdrop.errors import UploadTooLarge
from sealdrop.storage.store import Store

SPACE_CHECK_BYTES = 64 << 20


class UploadBudget:
    """The bytes one request may still upload, across all its files, checked as they stream.

    `check_space`, if given, runs again every SPACE_CHECK_BYTES: several large uploads at once
    each passed the free-space check at their start, and must stop before the disk fills.
    """

    def __init__(self, limit: int, *, check_space: Callable[[], object] | None = None) -> None:
        self.limit = limit
        self.used = 0
        self._check_space = check_space
        self._next_check = SPACE_CHECK_BYTES

    def take(self, size: int) -> None:
        self.used += size
        if self.used > self.limit:
            raise UploadTooLarge(
                "The files are larger than this service accepts. Send smaller files, or fewer "
                "at once."
            )
        if self._check_space is not None and self.used >= self._next_check:
            self._next_check = self.used + SPACE_CHECK_BYTES
            self._check_space()


class StagedUpload:
    """A writable file part; gpg starts at the first byte, so empty parts cost nothing.

    Its life: write() as the bytes arrive, finish() when the part ends, then either claim()
    (a submission recorded it: the file is the store's now) or discard() (wiped). close()
    discards whatever was not claimed, so a request that ends early leaves nothing behind.
    """

    def __init__(
        self,
        store: Store,
        gpg: Gpg,
        *,
        filesystem_id: str,
        filename: str | None,
        recipients: Sequence[PublicKey],
        budget: UploadBudget,
    ) -> None:
        self._store = store
        self._gpg = gpg
        self._filesystem_id = filesystem_id
        self._recipients = list(recipients)
        self._budget = budget
        self.filename = filename or ""
        self.path: Path | None = None
        self._encryptor: StreamEncryptor | None = None
        self._gzip: GzipWriter | None = None
        self._finished = False
        self._claimed = False
        self._discarded = False

    @property
    def finished(self) -> bool:
        return self._finished

    @property
    def discarded(self) -> bool:
        return self._discarded

    @property
    def plaintext_size(self) -> int:
        return self._gzip.plaintext_size if self._gzip else 0

    @property
    def is_empty(self) -> bool:
        return self.plaintext_size == 0

    def write(self, data: bytes) -> int:
        if self._finished:
            raise ValueError("write to an upload that was already finished")
        if not data:
            return 0
        self._budget.take(len(data))
        if self._gzip is None:
            self.path = self._store.staging_path(self._filesystem_id)
            self._encryptor = self._gpg.open_encryptor(self._recipients, self.path)
            self._gzip = GzipWriter(self._encryptor.write, member_name=self.filename)
        return self._gzip.write(data)

    def finish(self) -> None:
        if self._finished:
            return
        self._finished = True
        if self._gzip is not None and self._encryptor is not None:
            self._gzip.close()
            self._encryptor.finish()

    def discard(self) -> None:
        """Stop gpg if it runs and wipe whatever ciphertext was staged; safe to call twice."""
        self._discarded = True
        if self._encryptor is not None and not self._finished:
            self._finished = True
            self._encryptor.abort()
        if self.path is not None:
            self._store.secure_delete(self.path)

    def claim(self) -> None:
        """The submission that holds this file is committed: close() must leave it alone."""
        if not self._finished or self._discarded:
            raise ValueError("only a finished upload that was not discarded can be claimed")
        self._claimed = True

    def close(self) -> None:
        if not self._claimed:
            self.discard()

    def read(self, *_: object) -> bytes:
        raise io.UnsupportedOperation("an upload is encrypted as it arrives: nothing to read back")
