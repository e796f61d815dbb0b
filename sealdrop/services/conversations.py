"""What journalists see of sources: the list with its counts, one source, its conversation."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from sealdrop.db.models import Reply, Source, Submission
from sealdrop.errors import NotFound
from sealdrop.services import versions

MAX_FILTER_CHARS = 100
PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000


@dataclass(frozen=True)
class SourceSummary:
    """One line of the sources list."""

    uuid: str
    designation: str
    last_updated: dt.date
    is_starred: bool
    unread_messages: int
    unread_files: int
    messages: int
    files: int


@dataclass(frozen=True)
class SourcesPage:
    """One page of the sources list, and how many sources match in all."""

    summaries: list[SourceSummary]
    total: int
    offset: int
    limit: int


def _matching(designation_filter: str) -> list[ColumnElement[bool]]:
    """The WHERE clauses of a designation filter: none, or one LIKE with wildcards escaped."""
    wanted = designation_filter.strip().lower()[:MAX_FILTER_CHARS]
    if not wanted:
        return []
    escaped = wanted.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return [Source.journalist_designation.like(f"%{escaped}%", escape="\\")]


def _counts(session: Session, source_ids: list[int]) -> dict[int, tuple[int, int, int, int]]:
    """(messages, files, unread messages, unread files) of each of these sources."""
    found: dict[int, list[int]] = {source_id: [0, 0, 0, 0] for source_id in source_ids}
    rows = session.execute(
        select(Submission.source_id, Submission.kind, Submission.is_read, func.count())
        .where(Submission.source_id.in_(source_ids))
        .group_by(Submission.source_id, Submission.kind, Submission.is_read)
    )
    for source_id, kind, is_read, count in rows:
        column = 0 if kind == "message" else 1
        found[source_id][column] += count
        if not is_read:
            found[source_id][column + 2] += count
    return {source_id: (a, b, c, d) for source_id, (a, b, c, d) in found.items()}


def sources_page(
    session: Session, *, designation_filter: str = "", offset: int = 0, limit: int = PAGE_SIZE
) -> SourcesPage:
    """A page of sources, starred first then most recent, with their counts.

    Two indexed queries for the page and one count, whatever the number of sources: a list of
    ten thousand is paged, never rendered whole.
    """
    offset, limit = max(offset, 0), min(max(limit, 1), MAX_PAGE_SIZE)
    # Columns, not entities: a Source row carries its key material, which a list never needs.
    page = session.execute(
        select(
            Source.id,
            Source.uuid,
            Source.journalist_designation,
            Source.last_updated,
            Source.is_starred,
        )
        .where(*_matching(designation_filter))
        .order_by(Source.is_starred.desc(), Source.last_updated.desc(), Source.id.desc())
        .offset(offset)
        .limit(limit)
    ).all()
    total = int(
        session.scalar(select(func.count(Source.id)).where(*_matching(designation_filter))) or 0
    )
    counts = _counts(session, [row.id for row in page])
    summaries = [
        SourceSummary(
            uuid=row.uuid,
            designation=row.journalist_designation,
            last_updated=row.last_updated,
            is_starred=row.is_starred,
            messages=counts[row.id][0],
            files=counts[row.id][1],
            unread_messages=counts[row.id][2],
            unread_files=counts[row.id][3],
        )
        for row in page
    ]
    return SourcesPage(summaries, total, offset, limit)


def source_by_uuid(session: Session, source_uuid: str) -> Source:
    found = session.scalar(select(Source).where(Source.uuid == source_uuid))
    if found is None:
        raise NotFound("There is no such source.")
    return found


def conversation(source: Source) -> list[Submission | Reply]:
    """Messages, files and replies in the order they happened."""
    items: list[Submission | Reply] = [*source.submissions, *source.replies]
    return sorted(items, key=lambda item: item.interaction_count)


def set_starred(session: Session, source: Source, *, starred: bool) -> None:
    source.is_starred = starred
    versions.refresh_source_version(session, source)
    session.commit()


def set_starred_many(session: Session, source_uuids: list[str], *, starred: bool) -> int:
    """Star or unstar the sources named; unknown names are skipped. How many matched."""
    wanted = sorted(set(source_uuids))
    if not wanted:
        return 0
    found = list(session.scalars(select(Source).where(Source.uuid.in_(wanted))))
    for source in found:
        source.is_starred = starred
    versions.refresh_sources(session, found)  # API v2 clients see the change in the index
    session.commit()
    return len(found)
