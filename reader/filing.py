"""Filing one import into the vault: decrypt each carried item, rename it into its source's
folder and record it, in one index transaction per import.

Writes are atomic: an item is decrypted into the vault's tmp/ (reader.intake), then renamed into
place and recorded; the folders that got files are synced before the transaction commits.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import cast

from reader import index
from reader.carried import Carried
from reader.intake import Decrypted, decrypt_item
from reader.names import folder_name
from reader.shred import fsync_dir, shred_file
from reader.vault_items import Item, Outcome, item_from_row
from sealdrop.crypto.submission_key import KeyPassphrase, SubmissionKeyring
from sealdrop.domain.items import Kind
from sealdrop.errors import BundleInvalid, DecryptionFailed, ReaderRefused

_STORED_SUFFIX = {Kind.MESSAGE: "message.txt", Kind.FILE: "file", Kind.REPLY: "reply.txt"}


class Filing:
    """The writes of one import into the vault at `root` whose index is `db`."""

    def __init__(self, root: Path, db: sqlite3.Connection) -> None:
        self.root = root
        self._db = db
        self._touched: set[Path] = set()

    def import_one(
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
        return item_from_row(self.root, source, row)

    def _source_row(self, carried: Carried) -> sqlite3.Row:
        """The item's source, recorded now (with a folder of its own) if it is new."""
        row = index.source_row(self._db, carried.designation)
        if row is not None:
            return row
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
    def batch(self) -> Iterator[None]:
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

    def _source(self, designation: str) -> sqlite3.Row:
        return cast(sqlite3.Row, index.source_row(self._db, designation))
