"""Sending a stored ciphertext: Range requests, and the checksum header clients read as `Etag`."""

from __future__ import annotations

from flask import Response, g, send_file

from sealdrop.db.models import Reply, Submission
from sealdrop.services import downloads

# SecureDrop's clients read this header name case-sensitively; see spelled_etag.
ETAG_HEADER = "Etag"


def send_item(item: Submission | Reply) -> Response:
    stored = downloads.stored_item(g.db, g.instance.store, item)
    response = send_file(
        stored.path,
        mimetype="application/pgp-encrypted",
        as_attachment=True,
        download_name=stored.filename,
        conditional=True,  # Range requests, with Accept-Ranges and 206/416
        etag=False,  # the checksum below is the ETag clients check, not Werkzeug's
        max_age=0,
    )
    response.headers[ETAG_HEADER] = f"sha256:{stored.sha256}"
    response.headers["Accept-Ranges"] = "bytes"
    return response
