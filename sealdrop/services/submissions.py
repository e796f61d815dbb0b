"""Accepting what a source sends: messages and files, all of one submission stored or none of it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.orm import Session

from sealdrop.crypto.gpg import Gpg
from sealdrop.db.models import ReaderKey, Source, Submission
from sealdrop.domain.items import Kind
from sealdrop.domain.keys import PublicKey
from sealdrop.errors import EmptySubmission, UploadInterrupted
from sealdrop.services import versions
from sealdrop.services.reader_keys import rows_for
from sealdrop.services.sealed import place_next, seal_text, undo
from sealdrop.services.sources import NewSource, create_row
from sealdrop.services.uploads import StagedUpload, UploadBudget
from sealdrop.storage.store import Store

STREAM_CHUNK = 1 << 20


def open_upload(
    store: Store,
    gpg: Gpg,
    *,
    source: Source | NewSource,
    filename: str | None,
    recipients: Sequence[PublicKey],
    budget: UploadBudget,
) -> StagedUpload:
    """A sink for one file part, encrypting to `recipients` as the part streams in."""
    return StagedUpload(
        store,
        gpg,
        filesystem_id=source.filesystem_id,
        filename=filename,
        recipients=recipients,
        budget=budget,
    )


def _place_all(
    session: Session,
    store: Store,
    *,
    source: Source,
    staged: Sequence[tuple[Path, Kind]],
    placed: list[Path],
    readers: list[ReaderKey],
) -> list[Submission]:
    records = []
    for path, kind in staged:
        done = place_next(session, store, source=source, staged=path, kind=kind)
        placed.append(done.path)
        records.append(
            Submission(
                source_id=source.id,
                filename=done.name,
                size=done.path.stat().st_size,
                interaction_count=done.count,
                is_read=False,
                kind=kind.value,
                reader_keys=list(readers),
            )
        )
    return records


def accept(
    session: Session,
    store: Store,
    gpg: Gpg,
    *,
    source: Source | NewSource,
    message: str,
    uploads: Sequence[StagedUpload],
    recipients: Sequence[PublicKey],
    today: dt.date,
) -> list[Submission]:
    """Store a message and/or finished uploads as one submission; on any failure, none of it.

    A NewSource's first submission also makes its row and key pair, in the same transaction.
    Each record notes which reader keys among `recipients` it was encrypted to.
    Raises EmptySubmission when there is neither text nor a non-empty file.
    """
    files = [upload for upload in uploads if not upload.is_empty]
    if not message.strip() and not files:
        raise EmptySubmission("Write a message or choose a file to send.")
    staged: list[tuple[Path, Kind]] = []
    placed: list[Path] = []
    try:
        if message.strip():
            text_path = seal_text(
                store, gpg, filesystem_id=source.filesystem_id, text=message, recipients=recipients
            )
            staged.append((text_path, Kind.MESSAGE))
        for upload in files:
            upload.finish()
            if upload.discarded or upload.path is None:
                raise UploadInterrupted("An upload was interrupted; nothing was stored.")
            staged.append((upload.path, Kind.FILE))
        row = (
            source
            if isinstance(source, Source)
            else create_row(session, gpg, new=source, today=today)
        )
        readers = rows_for(session, recipients)
        records = _place_all(
            session, store, source=row, staged=staged, placed=placed, readers=readers
        )
        session.add_all(records)
        row.last_updated = today
        versions.refresh_item_versions(session, records)
        versions.refresh_source_version(session, row)
        session.commit()
    except BaseException:
        for upload in uploads:
            upload.discard()
        undo(
            session,
            store,
            filesystem_id=source.filesystem_id,
            paths=[*placed, *(path for path, _ in staged)],
        )
        raise
    for upload in files:
        upload.claim()
    return records


def accept_message(
    session: Session,
    store: Store,
    gpg: Gpg,
    *,
    source: Source | NewSource,
    text: str,
    recipients: Sequence[PublicKey],
    today: dt.date,
) -> Submission:
    """Store one message; the web form goes through accept() with its uploads instead."""
    [record] = accept(
        session,
        store,
        gpg,
        source=source,
        message=text,
        uploads=[],
        recipients=recipients,
        today=today,
    )
    return record
