"""Writing a sealed file and recording it: the one path every submission and reply takes.

Encrypt into the store's staging folder, give the file the source's next number, link it into
the source's folder, and on any failure undo all of it: the rows, the files and an empty folder.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from sealdrop.crypto.gpg import Gpg
from sealdrop.db.models import Source
from sealdrop.domain.items import Kind
from sealdrop.domain.keys import PublicKey
from sealdrop.errors import StoreOutOfStep
from sealdrop.storage.names import stored_name
from sealdrop.storage.store import Store

PLACE_ATTEMPTS = 10


@dataclass(frozen=True)
class Placed:
    """A sealed file at its final name, numbered `count` among its source's files."""

    count: int
    name: str
    path: Path


def seal_text(
    store: Store, gpg: Gpg, *, filesystem_id: str, text: str, recipients: Sequence[PublicKey]
) -> Path:
    """Encrypt `text` into a new staged file; nothing stays behind if gpg fails."""
    staged = store.staging_path(filesystem_id)
    try:
        gpg.encrypt_bytes(text.encode("utf-8"), recipients, staged)
    except BaseException:
        store.secure_delete(staged)
        raise
    return staged


def reserve_interaction(session: Session, source: Source) -> int:
    """Count up the source's interactions in the database, so concurrent requests never share n."""
    statement = (
        update(Source)
        .where(Source.id == source.id)
        .values(interaction_count=Source.interaction_count + 1)
        .returning(Source.interaction_count)
    )
    count = int(session.execute(statement).scalar_one())
    # The database already holds `count`: record it as loaded, so no flush ever writes it back.
    set_committed_value(source, "interaction_count", count)
    return count


def place_next(
    session: Session, store: Store, *, source: Source, staged: Path, kind: Kind
) -> Placed:
    """Give a staged file the source's next number and move it to its final name.

    A file already holding that name (left by a crash between link and commit, or a restored
    database) is never overwritten: the number is skipped, and `sealdrop check` reports the file.
    """
    for _ in range(PLACE_ATTEMPTS):
        count = reserve_interaction(session, source)
        name = stored_name(count, source.journalist_designation, kind)
        try:
            return Placed(count, name, store.place(staged, source.filesystem_id, name))
        except FileExistsError:
            continue
    raise StoreOutOfStep("The store is out of step with the database; nothing was stored.")


def undo(session: Session, store: Store, *, filesystem_id: str, paths: Sequence[Path]) -> None:
    """Roll the rows back and wipe every file written, staged or placed.

    A first submission undone leaves no folder to say a codename once tried to send.
    """
    session.rollback()
    for path in paths:
        with contextlib.suppress(OSError):
            store.secure_delete(path)
    store.remove_if_empty(filesystem_id)
