"""Names in the store, made and recognised in one place.

`store/<source id>/<n>-<designation>-msg.gpg` for messages, `-doc.gz.gpg` for files and
`-reply.gpg` for replies, `n` counting up per source: SecureDrop's naming, which existing
clients and the reader rely on.
"""

from __future__ import annotations

import re
from enum import Enum

from sealdrop.domain.designations import as_filename_part

FILESYSTEM_ID_PATTERN = re.compile(r"^[a-z2-7]{52}$")
STORED_NAME_PATTERN = re.compile(r"^[1-9][0-9]*-[a-z'-]+-[a-z'-]+-(msg|doc\.gz|reply)\.gpg$")


class Kind(Enum):
    """What a stored file holds; the value is the name the database uses for it."""

    MESSAGE = "message"
    FILE = "file"
    REPLY = "reply"

    @property
    def suffix(self) -> str:
        """The part of the stored name that says what the file holds."""
        return _SUFFIXES[self]


_SUFFIXES = {Kind.MESSAGE: "msg", Kind.FILE: "doc.gz", Kind.REPLY: "reply"}


def stored_name(interaction: int, designation: str, kind: Kind) -> str:
    """'3', 'amber heron', FILE -> '3-amber-heron-doc.gz.gpg'."""
    if interaction < 1:
        raise ValueError("interaction counts start at 1")
    return f"{interaction}-{as_filename_part(designation)}-{kind.suffix}.gpg"
