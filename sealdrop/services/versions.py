"""Record versions for API v2 sync: a stable digest of what a client is shown of each source,
item and journalist, kept in the rows' `version` columns and renewed by every write that changes
it, so the index is read from the columns and never recomputed per request.

Writers call the refresh_* functions after changing a record, inside their own transaction.
"""

from __future__ import annotations

import functools
import hashlib
import json
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sealdrop.db.models import IndexState, Journalist, Reply, Source, Submission
from sealdrop.services import records
from sealdrop.services.records import ItemRecord, SourceRecord

Facts = dict[str, object]
T = TypeVar("T")


def digest(facts: Mapping[str, object]) -> str:
    """sha256 of the canonical JSON of `facts`: the same facts give the same hash anywhere."""
    canonical = json.dumps(facts, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def source_facts(record: SourceRecord) -> Facts:
    source = record.source
    return {
        "uuid": source.uuid,
        "journalist_designation": source.journalist_designation,
        "is_starred": source.is_starred,
        "last_updated": source.last_updated.isoformat(),
        "interaction_count": source.interaction_count,
        "number_of_documents": record.files,
        "number_of_messages": record.messages,
        "has_attachment": record.files > 0,
        "is_seen": record.is_seen,
        "public_key": source.public_key,
        "fingerprint": source.key_fingerprint,
    }


def item_facts(record: ItemRecord) -> Facts:
    item = record.item
    facts: Facts = {
        "uuid": item.uuid,
        "kind": record.kind,
        "filename": item.filename,
        "size": item.size,
        "interaction_count": item.interaction_count,
        "is_read": item.is_read if isinstance(item, Submission) else None,
        "source": item.source.uuid,
        "seen_by": list(record.seen_by),
    }
    if isinstance(item, Reply):
        facts["journalist_uuid"] = record.author_uuid
        facts["is_deleted_by_source"] = item.deleted_by_source
    return facts


def journalist_facts(journalist: Journalist) -> Facts:
    return {
        "uuid": journalist.uuid,
        "username": journalist.username,
        "first_name": journalist.first_name,
        "last_name": journalist.last_name,
    }


def _lock(session: Session, model: type[Source | Submission | Reply], ids: Iterable[int]) -> None:
    """Hold the rows (PostgreSQL; SQLite has one writer anyway) before reading what their version
    covers, so two concurrent writers cannot each store a version that misses the other's change.
    Always in id order, and items before their sources, so lockers never wait on each other in a
    circle."""
    for part in records.chunked(sorted(set(ids))):
        # NO KEY UPDATE: seen marks and new items reference these rows (KEY SHARE) meanwhile.
        session.execute(select(model.id).where(model.id.in_(part)).with_for_update(key_share=True))


def refresh_sources(session: Session, sources: Iterable[Source]) -> None:
    """Renew the versions of `sources` after a write (flushes, does not commit)."""
    wanted = {source.id: source for source in sources}
    if not wanted:
        return
    session.flush()
    _lock(session, Source, wanted)
    for record in records.source_records(session, ids=list(wanted)):
        wanted[record.source.id].version = digest(source_facts(record))


def refresh_source_version(session: Session, source: Source) -> None:
    refresh_sources(session, [source])


def refresh_item_versions(session: Session, items: Iterable[Submission | Reply]) -> None:
    """Renew the versions of messages, files or replies after a write (flushes, no commit)."""
    listed = list(items)
    if not listed:
        return
    session.flush()
    _lock(session, Submission, [item.id for item in listed if isinstance(item, Submission)])
    _lock(session, Reply, [item.id for item in listed if isinstance(item, Reply)])
    for record in records.item_records(session, listed):
        record.item.version = digest(item_facts(record))


def refresh_source_tree(session: Session, source: Source) -> None:
    """The source and every item of it: after a change that shows on all of them."""
    refresh_item_versions(session, [*source.submissions, *source.replies])
    refresh_source_version(session, source)


def refresh_journalist_version(session: Session, journalist: Journalist) -> None:
    session.flush()
    journalist.version = digest(journalist_facts(journalist))


def forget_journalist(session: Session, journalist: Journalist) -> None:
    """Before an account is deleted: its replies now show a deleted author, so renew them."""
    replies = list(session.scalars(select(Reply).where(Reply.journalist_id == journalist.id)))
    session.execute(
        update(Reply).where(Reply.journalist_id == journalist.id).values(journalist_id=None)
    )
    for reply in replies:
        session.expire(reply, ["journalist_id", "journalist"])
    refresh_item_versions(session, replies)


def fill_missing(session: Session) -> bool:
    """Compute the versions no writer has stored yet (rows older than versions); True if any."""
    sources = list(session.scalars(select(Source).where(Source.version.is_(None))))
    items: list[Submission | Reply] = [
        *session.scalars(select(Submission).where(Submission.version.is_(None))),
        *session.scalars(select(Reply).where(Reply.version.is_(None))),
    ]
    journalists = list(session.scalars(select(Journalist).where(Journalist.version.is_(None))))
    refresh_sources(session, sources)
    refresh_item_versions(session, items)
    for journalist in journalists:
        journalist.version = digest(journalist_facts(journalist))
    return bool(sources or items or journalists)


@dataclass(frozen=True)
class Index:
    """Every record's version, each section in row order; and the version of the whole index."""

    sources: dict[str, str]
    items: dict[str, str]
    journalists: dict[str, str]

    @functools.cached_property
    def encoded(self) -> bytes:
        """The index as compact JSON: what the API sends, and what its version digests. The
        sections' order is fixed and each is in row order, so the same rows give the same
        bytes; hashing the bytes costs a hundredth of sorting and formatting every entry."""
        return json.dumps(
            {"sources": self.sources, "items": self.items, "journalists": self.journalists},
            separators=(",", ":"),
        ).encode("ascii")

    @functools.cached_property
    def version(self) -> str:
        return hashlib.sha256(self.encoded).hexdigest()


def _pairs(
    session: Session, *models: type[Source | Submission | Reply | Journalist]
) -> dict[str, str]:
    """(uuid, version) of every row of `models`, model after model, each in id order: the same
    rows always come out in the same order, at no cost to sort them."""
    pairs: dict[str, str] = {}
    for model in models:
        # Core columns, not entities: 100,000 rows come back as plain tuples.
        table = model.__table__
        rows = session.connection().execute(
            select(table.c.uuid, table.c.version).order_by(table.c.id)
        )
        pairs.update((uuid, version or "") for uuid, version in rows)
    return pairs


def generation(session: Session) -> int:
    """The change counter that database triggers bump whenever what the index shows changes."""
    return int(session.connection().execute(select(IndexState.generation)).scalar_one())


class GenerationCache(Generic[T]):
    """A value built from the records, kept by one process with the generation it was built at.

    The triggers bump the generation on every change of a record or its version, by any code or
    SQL, so a value remembered for generation g is right for as long as g is current: a client
    asking again gets it from one one-row query instead of a read of every row.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._known: tuple[int, T] | None = None

    def value_at(self, generation: int) -> T | None:
        with self._lock:
            known = self._known
        return known[1] if known is not None and known[0] == generation else None

    def remember(self, generation: int, value: T) -> None:
        with self._lock:
            self._known = (generation, value)


def at_generation(session: Session, cache: GenerationCache[T], build: Callable[[], T]) -> T:
    """`build()`'s value, from `cache` while nothing has changed since it was built.

    The value is remembered only when the generation was the same before and after it was built:
    a commit in between may have been half seen, so that value is served once and forgotten.
    """
    before = generation(session)
    known = cache.value_at(before)
    if known is not None:
        return known
    value = build()
    if generation(session) == before:
        cache.remember(before, value)
    return value


def index(session: Session) -> Index:
    """Read from the version columns: four narrow queries, whatever the number of records.

    Versions still missing are computed and committed first (once, not per request).
    """
    if fill_missing(session):
        session.commit()
    return Index(
        sources=_pairs(session, Source),
        items=_pairs(session, Submission, Reply),
        journalists=_pairs(session, Journalist),
    )
