"""What the vault hands out: sources, items, and each import's outcomes and report.

These are values only; reader.vault makes them from its index, and names from sources in them
are shown only through reader.names.shown.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from reader.names import shown
from sealdrop.domain.items import Kind


@dataclass(frozen=True)
class SourceSummary:
    """A source as the sources list shows it; newest first is the vault's order."""

    designation: str
    messages: int
    files: int
    replies: int


@dataclass(frozen=True)
class Item:
    """One decrypted item. `path` is where its bytes are; never open it automatically."""

    designation: str
    number: int
    kind: Kind
    path: Path
    size: int
    original_name: str | None  # as the source named the file: show it only through `shown`
    double_encrypted: bool
    note: str | None

    @property
    def shown_name(self) -> str:
        """The original file name, escaped for display; '' for messages and replies."""
        return shown(self.original_name) if self.original_name else ""

    def text(self) -> str:
        """A message's or reply's text (undecodable bytes replaced); not for files."""
        if self.kind is Kind.FILE:
            raise ValueError("a file has no text to show; export it instead")
        return self.path.read_bytes().decode("utf-8", errors="replace")


@dataclass(frozen=True)
class Outcome:
    """What happened to one carried entry: 'imported', 'duplicate' or 'failed' (with reason)."""

    label: str
    status: str
    reason: str = ""
    item: Item | None = None


@dataclass
class ImportReport:
    """Every entry of one import, in order; `refused` is set when the whole path was refused,
    `partial` when it was cut short or damaged and only its whole entries could be imported."""

    path: Path
    outcomes: list[Outcome] = field(default_factory=list)
    refused: str | None = None
    partial: str | None = None

    def count(self, status: str) -> int:
        return sum(1 for outcome in self.outcomes if outcome.status == status)


Progress = Callable[[Outcome], object]


def item_from_row(root: Path, source: sqlite3.Row, row: sqlite3.Row) -> Item:
    """An item as the index records it, its bytes under the vault at `root`."""
    return Item(
        designation=source["designation"],
        number=row["number"],
        kind=Kind(row["kind"]),
        path=root / "sources" / source["folder"] / row["stored"],
        size=row["size"],
        original_name=row["original_name"],
        double_encrypted=bool(row["double_encrypted"]),
        note=row["note"],
    )
