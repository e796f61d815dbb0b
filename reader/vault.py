"""The vault: decrypted submissions filed by source and number, an index, and the API over them.

Layout (every directory 0700, every file 0600):

    <vault>/index.sqlite             sources and items: designation, number, kind, original name
    <vault>/sources/<amber-heron>/0001-message.txt
    <vault>/sources/<amber-heron>/0002-file       a file's bytes, under a generated name
    <vault>/tmp/                      temp names of items being written; swept at each import

Here: opening, reading, importing (the writes are reader.filing's), deleting, and the lock that
keeps one writer at a time. The values handed out are reader.vault_items'. Nothing here opens a
file for the user; names from sources are data, never paths.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType

from reader import index
from reader.carriers import open_carrier
from reader.filing import Filing
from reader.intake import DEFAULT_MAX_ITEM_BYTES, temp_dir
from reader.names import shown
from reader.shred import shred_file
from reader.vault_items import (
    ImportReport,
    Item,
    Outcome,
    Progress,
    SourceSummary,
    item_from_row,
)
from sealdrop.crypto.submission_key import KeyPassphrase, SubmissionKeyring
from sealdrop.errors import BundleInvalid, NotFound, ReaderRefused


class Vault:
    """A reader's vault directory. Open with Vault.open(path); close() when done."""

    def __init__(self, root: Path, connection: sqlite3.Connection) -> None:
        self.root = root
        self._db = connection

    @classmethod
    def open(cls, root: Path) -> Vault:
        """Open the vault at `root`, creating it (0700) if missing."""
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        root.chmod(0o700)
        (root / "sources").mkdir(mode=0o700, exist_ok=True)
        try:
            connection = index.connect(root / "index.sqlite")
        except sqlite3.DatabaseError as error:
            raise ReaderRefused(f"The vault's index cannot be read: {error}.") from None
        return cls(root, connection)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Vault:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # --- reading ----------------------------------------------------------------------------

    def sources(self) -> list[SourceSummary]:
        """Every source, the one with the most recently imported item first."""
        rows = self._db.execute(
            "SELECT s.designation,"
            " SUM(i.kind = 'message') AS m, SUM(i.kind = 'file') AS f, SUM(i.kind = 'reply') AS r"
            " FROM sources s JOIN items i ON i.source_id = s.id"
            " GROUP BY s.id ORDER BY MAX(i.id) DESC"
        )
        return [SourceSummary(row[0], row["m"], row["f"], row["r"]) for row in rows]

    def conversation(self, designation: str) -> list[Item]:
        """A source's items in their order (messages, files and replies together)."""
        source = self._source(designation)
        rows = self._db.execute(
            "SELECT * FROM items WHERE source_id = ? ORDER BY number, kind", (source["id"],)
        )
        return [item_from_row(self.root, source, row) for row in rows]

    def item(self, designation: str, number: int) -> Item:
        found = [item for item in self.conversation(designation) if item.number == number]
        if not found:
            raise NotFound(f"{shown(designation)} has no item {number} in this vault.")
        return found[0]

    def _source(self, designation: str) -> sqlite3.Row:
        row = index.source_row(self._db, designation)
        if row is None:
            raise NotFound(f"No source {shown(designation)!r} in this vault.")
        return row

    # --- importing --------------------------------------------------------------------------

    def import_path(
        self,
        path: Path,
        keyring: SubmissionKeyring,
        passphrase: KeyPassphrase,
        *,
        progress: Progress | None = None,
        max_item_bytes: int = DEFAULT_MAX_ITEM_BYTES,
    ) -> ImportReport:
        """Import a bundle, zip or folder of .gpg files; every entry gets an Outcome.

        The agent starts fresh, so the first decryption checks the passphrase: a wrong one
        raises KeyPassphraseWrong and keeps nothing of that item (a separate check would cost a
        second unlock of the key). The agent is stopped at the end, so the passphrase does not
        outlive the import.
        """
        report = ImportReport(path)
        filing = Filing(self.root, self._db)
        keyring.forget()
        try:
            if not keyring.secret_keys():
                keyring.check_passphrase(passphrase)  # says how to make or import a key
            with (
                self._locked(),
                open_carrier(path) as carrier,
                temp_dir(self.root) as tmp,
                filing.batch(),
            ):
                report.partial = carrier.partial
                for refused in carrier.refused:
                    self._note(report, Outcome(refused.label, "failed", refused.reason), progress)
                for carried in carrier.items:
                    outcome = filing.import_one(carried, keyring, passphrase, tmp, max_item_bytes)
                    self._note(report, outcome, progress)
        except (BundleInvalid, ReaderRefused) as error:
            report.refused = str(error)
        finally:
            keyring.forget()
        return report

    @staticmethod
    def _note(report: ImportReport, outcome: Outcome, progress: Progress | None) -> None:
        report.outcomes.append(outcome)
        if progress is not None:
            progress(outcome)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """One writer at a time (the CLI and the window may share a vault): an flock on `lock`."""
        fd = os.open(self.root / "lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise ReaderRefused(
                    "Another import or deletion is running on this vault; wait for it to end."
                ) from None
            yield
        finally:
            os.close(fd)  # closing drops the lock

    # --- deleting ---------------------------------------------------------------------------

    def delete_item(self, designation: str, number: int) -> Item:
        """Shred an item's file, then forget it; the source goes too once it has no items."""
        item = self.item(designation, number)
        source = self._source(designation)
        with self._locked():
            shred_file(item.path)
        self._db.execute(
            "DELETE FROM items WHERE source_id = ? AND number = ? AND kind = ?",
            (source["id"], number, item.kind.value),
        )
        self._drop_if_empty(source)
        return item

    def delete_source(self, designation: str) -> list[Item]:
        """Shred every item of a source and forget the source."""
        items = self.conversation(designation)
        source = self._source(designation)
        with self._locked():
            for item in items:
                shred_file(item.path)
        self._db.execute("DELETE FROM items WHERE source_id = ?", (source["id"],))
        self._drop_if_empty(source)
        return items

    def _drop_if_empty(self, source: sqlite3.Row) -> None:
        left = self._db.execute(
            "SELECT COUNT(*) FROM items WHERE source_id = ?", (source["id"],)
        ).fetchone()[0]
        if left:
            return
        self._db.execute("DELETE FROM sources WHERE id = ?", (source["id"],))
        folder = self.root / "sources" / source["folder"]
        for stray in folder.iterdir() if folder.is_dir() else ():
            shred_file(stray)
        if folder.is_dir():
            folder.rmdir()


def iter_items(vault: Vault) -> Iterator[Item]:
    """Every item of every source, sources newest first: for export and metadata reports."""
    for source in vault.sources():
        yield from vault.conversation(source.designation)


__all__: Sequence[str] = (
    "ImportReport", "Item", "Outcome", "SourceSummary", "Vault", "iter_items",
)  # fmt: skip
