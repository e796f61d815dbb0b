"""How much a request may send: a small body everywhere, a large one only on the upload route."""

from __future__ import annotations

from sealdrop.config import Config

# Every form but the submission holds a token, a codename or a checkbox: a few parts.
SMALL_FORM_PARTS = 16
# A submission is a message and files: a source choosing a hundred files at once is plenty.
MAX_SUBMISSION_PARTS = 128


def upload_body_limit(config: Config) -> int:
    """The most a submission's body may hold, raised for that route only, before it is read."""
    return config.upload_body_bytes
