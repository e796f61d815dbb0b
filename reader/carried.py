"""What was carried over, listed: items not yet read, and entries refused with their reason."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from reader.names import ItemName, designation_for, parse_item_name
from sealdrop.crypto.submission_key import FileSpan
from sealdrop.domain.items import Kind

Chunks = Iterator[bytes]
Spans = Iterator[FileSpan]


@dataclass(frozen=True)
class Carried:
    """One encrypted item found in what was carried over, not yet read."""

    label: str  # where it came from, already safe to show
    designation: str
    number: int
    kind: Kind
    open: Callable[[], contextlib.AbstractContextManager[Chunks]]
    sha256: str | None = None  # known in advance for bundle entries
    # Where the (checked) ciphertext lies in an open file, for gpg to read without a copy
    # through Python; given with `sha256` only, as it is what the spans are checked against.
    spans: Callable[[], contextlib.AbstractContextManager[Spans]] | None = None
    source_uuid: str | None = None
    item_uuid: str | None = None


@dataclass(frozen=True)
class Refused:
    """An entry refused before decryption, with the reason to show."""

    label: str
    reason: str


@dataclass
class Carrier:
    """The items of one carried path, and the entries refused while listing it.

    `partial` says, in one line, that the path itself was cut short or damaged, so only the
    entries that could be recovered whole are listed (the import's status is then "partial").
    """

    kind: str  # "bundle", "zip" or "folder"
    items: list[Carried] = field(default_factory=list)
    refused: list[Refused] = field(default_factory=list)
    partial: str | None = None


def name_refusal(parts: tuple[str, ...], label: str) -> Refused | tuple[str, ItemName]:
    """The designation and parsed name of an item path, or why it is refused."""
    parsed = parse_item_name(parts[-1])
    if parsed is None:
        return Refused(label, "not a SecureDrop item name (<n>-<designation>-msg.gpg, ...)")
    designation = designation_for(parsed, list(parts[:-1]))
    if designation is None:
        return Refused(label, "its source cannot be told (put it in its designation's folder)")
    return designation, parsed
