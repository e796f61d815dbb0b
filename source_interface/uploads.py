"""A Request whose multipart bodies are parsed here, with file parts streamed into a sink.

Werkzeug's default parser spools any file part over 500 KiB to an unnamed file in /tmp: plaintext
on disk before the view runs. Here every file part goes to the sink the view chose (gzip and gpg)
or is dropped unread, text fields are held in memory only up to one budget for the whole request,
and whatever was staged but not claimed is wiped when the request closes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import IO, Any, Protocol, cast

from flask import Request, request
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge
from werkzeug.formparser import FormDataParser
from werkzeug.sansio.multipart import Data, Epilogue, Field, File, MultipartDecoder, NeedData

READ_CHUNK = 64 * 1024
# What the decoder may hold undecoded: a chunk and a part's headers. Fields are counted by us.
DECODER_BUFFER_BYTES = 2 * READ_CHUNK
# Text fields of any form besides the message: a CSRF token, a codename, a checkbox.
SMALL_FIELDS_BYTES = 16 * 1024


class UploadSink(Protocol):
    """Where one file part goes; finish() at the end of the part, close() when the request ends."""

    def write(self, data: bytes) -> int: ...
    def finish(self) -> None: ...
    def close(self) -> None: ...


SinkFactory = Callable[[str, str | None], UploadSink]  # called with the field and file names


class DroppedUpload:
    """Where file parts go on pages that take no files: nowhere."""

    def write(self, data: bytes) -> int:
        return len(data)

    def finish(self) -> None:
        return None

    def close(self) -> None:
        return None


class BoundedFormParser(FormDataParser):
    """Multipart bodies with a cap on parts and on the sum of text fields; files go to sinks."""

    def __init__(self, *, open_sink: SinkFactory, max_field_bytes: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._open_sink = open_sink
        self._max_field_bytes = max_field_bytes

    def _parse_multipart(
        self,
        stream: IO[bytes],
        mimetype: str,
        content_length: int | None,
        options: dict[str, str],
    ) -> tuple[IO[bytes], MultiDict[str, Any], MultiDict[str, Any]]:
        boundary = options.get("boundary", "").encode("ascii")
        if not boundary:
            raise ValueError("Missing boundary")
        fields, files = _MultipartReader(self, boundary).read(stream)
        return stream, self.cls(fields), self.cls(files)


class _MultipartReader:
    """One body's worth of parsing state; text fields count against one shared budget."""

    def __init__(self, parser: BoundedFormParser, boundary: bytes) -> None:
        self._parser = parser
        self._per_field = min(
            parser.max_form_memory_size or parser._max_field_bytes, parser._max_field_bytes
        )
        self._decoder = MultipartDecoder(
            boundary, DECODER_BUFFER_BYTES, max_parts=parser.max_form_parts
        )
        self._field_bytes = 0
        self.fields: list[tuple[str, str]] = []
        self.files: list[tuple[str, FileStorage]] = []
        self._text: list[bytes] = []
        self._sink: UploadSink | None = None
        self._current: Field | File | None = None

    def read(
        self, stream: IO[bytes]
    ) -> tuple[list[tuple[str, str]], list[tuple[str, FileStorage]]]:
        try:
            while True:
                chunk = stream.read(READ_CHUNK)
                self._decoder.receive_data(chunk or None)
                if self._drain_events() or not chunk:
                    return self.fields, self.files
        except ValueError:
            # Werkzeug's parser would return an empty form: say what happened instead.
            cut_off = _("The upload was cut off before its end. Nothing was stored.")
            raise BadRequest(cut_off) from None

    def _drain_events(self) -> bool:
        """Handle every event decoded so far; True once the body's last boundary was read."""
        while not isinstance(event := self._decoder.next_event(), NeedData):
            if isinstance(event, Epilogue):
                return True
            if isinstance(event, Field | File):
                self._start(event)
            elif isinstance(event, Data):
                self._data(event)
        return False

    def _start(self, part: Field | File) -> None:
        self._current = part
        if isinstance(part, File):
            self._sink = self._parser._open_sink(part.name, part.filename)
        else:
            self._sink, self._text = None, []

    def _data(self, event: Data) -> None:
        part = self._current
        if part is None:
            raise ValueError("data before any part")  # the decoder never does this
        if self._sink is not None:
            self._sink.write(event.data)
            if not event.more_data:
                self._sink.finish()
                filename = part.filename if isinstance(part, File) else None
                storage = FileStorage(
                    cast(IO[bytes], self._sink), filename, part.name, headers=part.headers
                )
                self.files.append((part.name, storage))
            return
        self._field_bytes += len(event.data)
        self._text.append(event.data)
        this_field = sum(map(len, self._text))
        if self._field_bytes > self._parser._max_field_bytes or this_field > self._per_field:
            raise RequestEntityTooLarge()
        if not event.more_data:
            value = b"".join(self._text).decode("utf-8", "replace")
            self.fields.append((part.name, value))


class StreamingUploadRequest(Request):
    """The request class of the source app; the submit view opts in with stream_uploads_into()."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.upload_sinks: list[UploadSink] = []
        self._sink_factory: SinkFactory | None = None
        self._max_field_bytes = SMALL_FIELDS_BYTES

    def stream_uploads_into(self, factory: SinkFactory, *, max_field_bytes: int) -> None:
        """Before the body is read: file parts go to `factory`, text fields up to the budget."""
        self._sink_factory = factory
        self._max_field_bytes = max_field_bytes

    def _open_sink(self, field: str, filename: str | None) -> UploadSink:
        sink = self._sink_factory(field, filename) if self._sink_factory else DroppedUpload()
        self.upload_sinks.append(sink)
        return sink

    def make_form_data_parser(self) -> FormDataParser:
        return BoundedFormParser(
            open_sink=self._open_sink,
            max_field_bytes=self._max_field_bytes,
            max_form_memory_size=self.max_form_memory_size,
            max_content_length=self.max_content_length,
            max_form_parts=self.max_form_parts,
            cls=self.parameter_storage_class,
        )

    def close(self) -> None:
        """Wipe every upload nobody claimed: refused, interrupted or malformed requests."""
        try:
            super().close()
        finally:
            for sink in self.upload_sinks:
                sink.close()


def current_request() -> StreamingUploadRequest:
    """The request being served, with the type the source app gives every request."""
    return cast(StreamingUploadRequest, request)  # the proxy forwards to the real request
