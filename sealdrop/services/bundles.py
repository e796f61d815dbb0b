"""Bundles for journalists: the chosen submissions and replies, mapped to plain values and streamed.

Everything is read from the database and checked on disk before the first byte, so a web view
can still answer an error page; the stream itself needs neither the session nor the rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from sealdrop.bundle.writer import BundleItem, stream_bundle
from sealdrop.db.models import Reply, Source, Submission
from sealdrop.domain.items import Kind
from sealdrop.errors import NotFound
from sealdrop.services.items import mark_read
from sealdrop.storage.store import Store


@dataclass(frozen=True)
class PreparedBundle:
    """What goes in the bundle, in order, and its bytes; iterate `chunks` once, to the end."""

    items: tuple[BundleItem, ...]
    chunks: Iterator[bytes]


def bundle_items(
    session: Session,
    store: Store,
    *,
    item_uuids: Sequence[str],
    instance: str,
    today: dt.date,
) -> PreparedBundle:
    """A bundle of the submissions and replies with these uuids, by source then number.

    Raises NotFound if any uuid is unknown or its file is missing, before anything is streamed.
    """
    wanted = set(item_uuids)
    rows: list[Submission | Reply] = [
        *session.scalars(select(Submission).where(Submission.uuid.in_(wanted))),
        *session.scalars(select(Reply).where(Reply.uuid.in_(wanted))),
    ]
    if len(rows) != len(wanted):
        raise NotFound(
            "Some of the chosen items no longer exist; reload the page and choose again."
        )
    return _prepare(store, rows, instance=instance, today=today)


def bundle_source(
    session: Session, store: Store, *, source: Source, instance: str, today: dt.date
) -> PreparedBundle:
    """A bundle of everything a source sent and was sent back."""
    rows: list[Submission | Reply] = [*source.submissions, *source.replies]
    if not rows:
        raise NotFound("This source has nothing to download yet.")
    return _prepare(store, rows, instance=instance, today=today)


def bundle_sources(
    session: Session, store: Store, *, source_uuids: Sequence[str], instance: str, today: dt.date
) -> PreparedBundle:
    """A bundle of everything the chosen sources sent and were sent back, one folder each."""
    chosen = list(session.scalars(select(Source).where(Source.uuid.in_(set(source_uuids)))))
    if len(chosen) != len(set(source_uuids)):
        raise NotFound("Some of the chosen sources no longer exist; reload the page.")
    rows: list[Submission | Reply] = []
    for source in chosen:
        rows.extend(source.submissions)
        rows.extend(source.replies)
    if not rows:
        raise NotFound("The chosen sources have nothing to download yet.")
    return _prepare(store, rows, instance=instance, today=today)


def mark_downloaded(session: Session, bundle: PreparedBundle) -> None:
    """The submissions in `bundle` count as read from now on, as SecureDrop counts a download."""
    wanted = [item.item_uuid for item in bundle.items if item.kind is not Kind.REPLY]
    if wanted:
        mark_read(
            session, session.scalars(select(Submission).where(Submission.uuid.in_(wanted))).all()
        )


def _prepare(
    store: Store, rows: Sequence[Submission | Reply], *, instance: str, today: dt.date
) -> PreparedBundle:
    items = tuple(
        _item(store, row)
        for row in sorted(
            rows, key=lambda r: (r.source.journalist_designation, r.interaction_count)
        )
    )
    for item in items:
        if not item.stored.is_file():
            # A literal message: every service's message goes through the translation catalogue.
            raise NotFound(
                "A chosen item's file is missing from the store; "
                "ask your administrator to run `sealdrop check`."
            )
    return PreparedBundle(items, stream_bundle(items, instance=instance, created=today))


def _item(store: Store, row: Submission | Reply) -> BundleItem:
    source = row.source
    kind = Kind.REPLY if isinstance(row, Reply) else Kind(row.kind)
    return BundleItem(
        source_designation=source.journalist_designation,
        source_uuid=source.uuid,
        item_uuid=row.uuid,
        kind=kind,
        interaction=row.interaction_count,
        stored=store.path_of(source.filesystem_id, row.filename),
    )
