"""The vault: decrypted submissions filed by source and number, an index, and the API over them.

Layout (every directory 0700, every file 0600):

    <vault>/index.sqlite             sources and items: designation, number, kind, original name
    <vault>/sources/<amber-heron>/0001-message.txt
    <vault>/sources/<amber-heron>/0002-file       a file's bytes, under a generated name
    <vault>/tmp/                      temp names of items being written; swept at each import

Nothing here opens a file for the user; names from sources are data, never paths.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import cast

from reader import index
from reader.carried import Carried
from reader.carriers import open_carrier
from reader.intake import DEFAULT_MAX_ITEM_BYTES, Decrypted, decrypt_item, temp_dir
from reader.names import folder_name, shown
from reader.shred import fsync_dir, shred_file
from sealdrop.crypto.submission_key import KeyPassphrase, SubmissionKeyring
from sealdrop.domain.items import Kind
from sealdrop.errors import BundleInvalid, DecryptionFailed, NotFound, ReaderRefused

_STORED_SUFFIX = {Kind.MESSAGE: "message.txt", Kind.FILE: "file", Kind.REPLY: "reply.txt"}


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


class Vault:
    """A reader's vault directory. Open with Vault.open(path); close() when done."""

    def __init__(self, root: Path, connection: sqlite3.Connection) -> None:
        self.root = root
        self._db = connection
        self._touched: set[Path] = set()

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
        return [self._item(source, row) for row in rows]

    def item(self, designation: str, number: int) -> Item:
        found = [item for item in self.conversation(designation) if item.number == number]
        if not found:
            raise NotFound(f"{shown(designation)} has no item {number} in this vault.")
        return found[0]

    def _source(self, designation: str) -> sqlite3.Row:
        row = self._db.execute(
            "SELECT * FROM sources WHERE designation = ?", (designation,)
        ).fetchone()
        if row is None:
            raise NotFound(f"No source {shown(designation)!r} in this vault.")
        return cast(sqlite3.Row, row)

    def _item(self, source: sqlite3.Row, row: sqlite3.Row) -> Item:
        return Item(
            designation=source["designation"],
            number=row["number"],
            kind=Kind(row["kind"]),
            path=self.root / "sources" / source["folder"] / row["stored"],
            size=row["size"],
            original_name=row["original_name"],
            double_encrypted=bool(row["double_encrypted"]),
            note=row["note"],
        )

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
        keyring.forget()
        try:
            if not keyring.secret_keys():
                keyring.check_passphrase(passphrase)  # says how to make or import a key
            with (
                self._locked(),
                open_carrier(path) as carrier,
                temp_dir(self.root) as tmp,
                self._batch(),
            ):
                report.partial = carrier.partial
                for refused in carrier.refused:
                    self._note(report, Outcome(refused.label, "failed", refused.reason), progress)
                for carried in carrier.items:
                    outcome = self._import_one(carried, keyring, passphrase, tmp, max_item_bytes)
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

    def _import_one(
        self,
        carried: Carried,
        keyring: SubmissionKeyring,
        passphrase: KeyPassphrase,
        tmp: Path,
        max_bytes: int,
    ) -> Outcome:
        if self._has(carried.designation, carried.number, carried.kind, carried.sha256):
            return Outcome(carried.label, "duplicate", "already in the vault")
        try:
            done = decrypt_item(carried, keyring, passphrase, tmp_dir=tmp, max_bytes=max_bytes)
        except (DecryptionFailed, ReaderRefused, BundleInvalid) as error:
            return Outcome(carried.label, "failed", str(error))
        except OSError as error:
            return Outcome(carried.label, "failed", f"it could not be written ({error.strerror})")
        if self._has(None, 0, None, done.cipher_sha256):
            shred_file(done.temp)
            return Outcome(carried.label, "duplicate", "already in the vault (same ciphertext)")
        return Outcome(carried.label, "imported", item=self._file(carried, done))

    def _has(
        self, designation: str | None, number: int, kind: Kind | None, sha: str | None
    ) -> bool:
        if (
            sha
            and self._db.execute("SELECT 1 FROM items WHERE cipher_sha256 = ?", (sha,)).fetchone()
        ):
            return True
        if designation is None or kind is None:
            return False
        return (
            self._db.execute(
                "SELECT 1 FROM items i JOIN sources s ON s.id = i.source_id"
                " WHERE s.designation = ? AND i.number = ? AND i.kind = ?",
                (designation, number, kind.value),
            ).fetchone()
            is not None
        )

    def _file(self, carried: Carried, done: Decrypted) -> Item:
        """Rename the temp file into the source's folder, then record it (one transaction)."""
        source = self._source_row(carried)
        folder = self.root / "sources" / source["folder"]
        folder.mkdir(mode=0o700, exist_ok=True)
        stored = f"{carried.number:04d}-{_STORED_SUFFIX[carried.kind]}"
        done.temp.replace(folder / stored)
        self._touched.add(folder)
        cursor = self._db.execute(
            "INSERT INTO items (source_id, number, kind, stored, original_name, size,"
            " cipher_sha256, double_encrypted, note, uuid) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                source["id"], carried.number, carried.kind.value, stored, done.original_name,
                done.size, done.cipher_sha256, int(done.double_encrypted), done.note,
                carried.item_uuid,
            ),
        )  # fmt: skip
        row = self._db.execute("SELECT * FROM items WHERE id = ?", (cursor.lastrowid,)).fetchone()
        return self._item(source, row)

    def _source_row(self, carried: Carried) -> sqlite3.Row:
        row = self._db.execute(
            "SELECT * FROM sources WHERE designation = ?", (carried.designation,)
        ).fetchone()
        if row is not None:
            return cast(sqlite3.Row, row)
        base = folder_name(carried.designation)
        taken = {r[0] for r in self._db.execute("SELECT folder FROM sources")}
        folder = base
        suffix = 2
        while folder in taken or (self.root / "sources" / folder).exists():
            folder, suffix = f"{base}-{suffix}", suffix + 1
        self._db.execute(
            "INSERT INTO sources (designation, uuid, folder) VALUES (?, ?, ?)",
            (carried.designation, carried.source_uuid, folder),
        )
        return self._source(carried.designation)

    @contextlib.contextmanager
    def _batch(self) -> Iterator[None]:
        """One transaction per import, committed after the folders that got files are fsynced
        (one directory sync per folder, not per item). A crash before the commit leaves files
        without rows; importing those items again writes them anew under the same names."""
        self._touched = set()
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            try:
                for folder in self._touched:
                    fsync_dir(folder)
            finally:
                self._db.execute("COMMIT")
                self._touched = set()

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
