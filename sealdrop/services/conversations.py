"""What journalists see of sources: the list with its counts, one source, its conversation."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from sealdrop.db.models import Reply, Source, Submission
from sealdrop.errors import NotFound
from sealdrop.services import versions

MAX_FILTER_CHARS = 100


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


def source_summaries(session: Session, *, designation_filter: str = "") -> list[SourceSummary]:
    """Every source, starred first then most recent, with its counts: one query at any size."""
    unread = Submission.is_read.is_(False)
    counts = (
        select(
            Submission.source_id,
            func.sum(case((Submission.kind == "message", 1), else_=0)).label("messages"),
            func.sum(case((Submission.kind == "file", 1), else_=0)).label("files"),
            func.sum(case(((Submission.kind == "message") & unread, 1), else_=0)).label("um"),
            func.sum(case(((Submission.kind == "file") & unread, 1), else_=0)).label("uf"),
        )
        .group_by(Submission.source_id)
        .subquery()
    )
    query = (
        select(Source, counts.c.messages, counts.c.files, counts.c.um, counts.c.uf)
        .outerjoin(counts, counts.c.source_id == Source.id)
        .order_by(Source.is_starred.desc(), Source.last_updated.desc(), Source.id.desc())
    )
    wanted = designation_filter.strip().lower()[:MAX_FILTER_CHARS]
    if wanted:
        escaped = wanted.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(Source.journalist_designation.like(f"%{escaped}%", escape="\\"))
    return [
        SourceSummary(
            uuid=source.uuid,
            designation=source.journalist_designation,
            last_updated=source.last_updated,
            is_starred=source.is_starred,
            unread_messages=int(um or 0),
            unread_files=int(uf or 0),
            messages=int(messages or 0),
            files=int(files or 0),
        )
        for source, messages, files, um, uf in session.execute(query)
    ]


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
