"""A Request whose file uploads stream into an encrypting sink instead of a temporary file.

Werkzeug's default spools any file part over 500 KiB to an unnamed file in /tmp: plaintext on
disk before the view runs (FACTS.md section 3). Here every file part goes to the sink the view
installed, or is dropped, and whatever was staged but not claimed is wiped when the request closes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import IO, Protocol

from flask import Request


class UploadSink(Protocol):
    def write(self, data: bytes) -> int: ...
    def seek(self, offset: int, whence: int = 0) -> int: ...
    def read(self, *args: object) -> bytes: ...
    def close(self) -> None: ...


SinkFactory = Callable[..., UploadSink]  # called as factory(filename=...)


class DroppedUpload:
    """Where file parts go on pages that take no files: nowhere."""

    def write(self, data: bytes) -> int:
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        return 0

    def read(self, *_: object) -> bytes:
        return b""

    def close(self) -> None:
        return None


class StreamingUploadRequest(Request):
    upload_factory: SinkFactory | None = None

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type] # werkzeug's own signature
        self.upload_sinks: list[UploadSink] = []

    def _get_file_stream(
        self,
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None = None,
        content_length: int | None = None,
    ) -> IO[bytes]:
        sink: UploadSink = (
            self.upload_factory(filename=filename) if self.upload_factory else DroppedUpload()
        )
        self.upload_sinks.append(sink)
        return sink  # type: ignore[return-value] # a write-only stream is all the parser needs

    def close(self) -> None:
        """Wipe every upload nobody claimed: refused, interrupted or malformed requests."""
        try:
            super().close()
        finally:
            for sink in self.upload_sinks:
                sink.close()
