"""What a stored item holds (message, file, reply) and the file name SecureDrop gives it."""

from __future__ import annotations

from enum import Enum

from sealdrop.domain.designations import as_filename_part


class Kind(Enum):
    """What a stored file holds; the value is the name the database uses for it."""

    MESSAGE = "message"
    FILE = "file"
    REPLY = "reply"

    @property
    def suffix(self) -> str:
        """The part of the file name that says what the file holds."""
        return _SUFFIXES[self]


_SUFFIXES = {Kind.MESSAGE: "msg", Kind.FILE: "doc.gz", Kind.REPLY: "reply"}


def item_filename(interaction: int, designation: str, kind: Kind) -> str:
    """'3', 'amber heron', FILE -> '3-amber-heron-doc.gz.gpg': the store's and the bundle's name."""
    if interaction < 1:
        raise ValueError("interaction counts start at 1")
    return f"{interaction}-{as_filename_part(designation)}-{kind.suffix}.gpg"
