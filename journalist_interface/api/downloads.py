"""Sending a stored ciphertext: Range requests, and the checksum header clients read as `Etag`.

The bytes go out in 1 MiB chunks from our own generator: Werkzeug's file wrapper reads 8 KiB at
a time, and at that size the serving worker's per-chunk work made a 2 GB download take nearly a
minute instead of seconds.
"""

from __future__ import annotations

from http import HTTPStatus

from flask import Response, g, request

from sealdrop.db.models import Reply, Submission
from sealdrop.services import downloads

# SecureDrop's clients read this header name case-sensitively; see spelled_etag.
ETAG_HEADER = "Etag"


def _span(size: int) -> tuple[int, int] | None:
    """(start, stop) asked for by a single-range Range header; None for the whole file.

    Several ranges at once are answered with the whole file, which HTTP allows.
    """
    wanted = request.range
    if wanted is None or len(wanted.ranges) != 1:
        return None
    return wanted.range_for_length(size) or (size, size)  # unsatisfiable: an empty span


def send_item(item: Submission | Reply) -> Response:
    stored = downloads.stored_item(g.db, g.instance.store, item)
    span = _span(stored.size)
    if span is not None and span[0] >= span[1]:
        refused = Response(status=HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
        refused.headers["Content-Range"] = f"bytes */{stored.size}"
        return refused
    start, stop = span or (0, stored.size)
    response = Response(
        downloads.chunks(stored.path, start=start, length=stop - start),
        status=HTTPStatus.PARTIAL_CONTENT if span else HTTPStatus.OK,
        mimetype="application/pgp-encrypted",
        direct_passthrough=True,
    )
    response.content_length = stop - start
    if span:
        response.headers["Content-Range"] = f"bytes {start}-{stop - 1}/{stored.size}"
    response.headers["Content-Disposition"] = f"attachment; filename={stored.filename}"
    response.headers["Cache-Control"] = "no-cache"
    response.headers[ETAG_HEADER] = f"sha256:{stored.sha256}"
    response.headers["Accept-Ranges"] = "bytes"
    return response
