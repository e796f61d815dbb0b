"""Stored file names: `<n>-<designation>-msg.gpg`, `-doc.gz.gpg`, `-reply.gpg` (see docs/)."""

from __future__ import annotations

from enum import Enum

from sealdrop.designations import as_filename_part


class Kind(Enum):
    MESSAGE = "msg"
    FILE = "doc.gz"
    REPLY = "reply"


def stored_name(interaction: int, designation: str, kind: Kind) -> str:
    if interaction < 1:
        raise ValueError("interaction counts start at 1")
    return f"{interaction}-{as_filename_part(designation)}-{kind.value}.gpg"
