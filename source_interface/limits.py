"""How much a request may send: a small body everywhere, a large one only on the upload route."""

from __future__ import annotations

from sealdrop.config import Config

# Every form but the submission holds a token, a codename or a checkbox: a few hundred bytes.
SMALL_BODY_BYTES = 64 * 1024
SMALL_FORM_PARTS = 16
# Room for the multipart framing and the text fields on top of the files themselves.
FORM_OVERHEAD_BYTES = 64 * 1024
# A submission is a message and files: a source choosing a hundred files at once is plenty.
MAX_SUBMISSION_PARTS = 128


def upload_body_limit(config: Config) -> int:
    """The most a submission's body may hold, raised for that route only, before it is read."""
    return config.max_upload_bytes + config.max_message_bytes + FORM_OVERHEAD_BYTES
