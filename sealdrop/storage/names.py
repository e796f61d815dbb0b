"""Names in the store, made and recognised in one place.

`store/<source id>/<n>-<designation>-msg.gpg` for messages, `-doc.gz.gpg` for files and
`-reply.gpg` for replies, `n` counting up per source: SecureDrop's naming, which existing
clients and the reader rely on.
"""

from __future__ import annotations

import re

# Kind lives in the domain, so the bundle format names files the same way without the store.
from sealdrop.domain.items import Kind, item_filename

FILESYSTEM_ID_PATTERN = re.compile(r"^[a-z2-7]{52}$")
STORED_NAME_PATTERN = re.compile(r"^[1-9][0-9]*-[a-z'-]+-[a-z'-]+-(msg|doc\.gz|reply)\.gpg$")


def stored_name(interaction: int, designation: str, kind: Kind) -> str:
    """'3', 'amber heron', FILE -> '3-amber-heron-doc.gz.gpg'."""
    return item_filename(interaction, designation, kind)
