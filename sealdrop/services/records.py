"""What the newsroom's clients are shown of each record: sources with their counts, messages,
files and replies with who has seen them. Plain facts; the API's serializers shape them."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import ColumnElement, case, exists, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session, selectinload

from sealdrop.db.models import Journalist, Reply, SeenReply, SeenSubmission, Source, Submission

# Below every database's limit on bound parameters in one statement.
IN_CHUNK = 500
DELETED = "deleted"  # SecureDrop's name for the author of a reply whose account is gone

T = TypeVar("T")


def chunked(values: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(values), IN_CHUNK):
        yield values[start : start + IN_CHUNK]


@dataclass(frozen=True, slots=True)
class SourceRow:
    """What clients are shown of a source's row, read as columns: ten thousand of these load in
    a fraction of the time entities take, and the key material stays in the database."""

    id: int
    uuid: str
    journalist_designation: str
    key_fingerprint: str
    interaction_count: int
    public_key: str | None
    is_starred: bool
    last_updated: dt.date
    version: str | None


SOURCE_COLUMNS = tuple(getattr(Source, name) for name in SourceRow.__slots__)


@dataclass(frozen=True)
class SourceRecord:
    """A source with the counts its list entry shows."""

    source: SourceRow
    messages: int
    files: int
    unseen_items: int

    @property
    def is_seen(self) -> bool:
        """Every message, file and reply has been seen by at least one journalist."""
        return self.unseen_items == 0


@dataclass(frozen=True)
class ItemRecord:
    """A message, file or reply with the uuids of the journalists who have seen it."""

    item: Submission | Reply
    seen_by: tuple[str, ...]

    @property
    def kind(self) -> str:
        return self.item.kind if isinstance(self.item, Submission) else "reply"

    @property
    def author_uuid(self) -> str | None:
        """A reply's journalist, DELETED once the account is gone; None for a submission."""
        if not isinstance(self.item, Reply):
            return None
        return self.item.journalist.uuid if self.item.journalist else DELETED


def _tally(session: Session, source_ids: Sequence[int] | None) -> dict[int, list[int]]:
    """[messages, files, unseen items] of each source (every source when None), from two
    grouped queries per chunk of ids: one pass over the items, not four subqueries per source."""
    tally: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    parts: list[Sequence[int] | None] = [None] if source_ids is None else list(chunked(source_ids))
    for part in parts:

        def among(
            column: InstrumentedAttribute[int], part: Sequence[int] | None = part
        ) -> list[ColumnElement[bool]]:
            return [] if part is None else [column.in_(part)]

        # One pass over the submissions in source order: no temporary b-tree for the grouping.
        is_message = case((Submission.kind == "message", 1), else_=0)
        is_unseen = case(
            (exists().where(SeenSubmission.submission_id == Submission.id), 0), else_=1
        )
        submissions = (
            select(Submission.source_id, func.sum(is_message), func.count(), func.sum(is_unseen))
            .where(*among(Submission.source_id))
            .group_by(Submission.source_id)
        )
        for source_id, messages, count, unseen in session.execute(submissions):
            tally[source_id][0] += messages
            tally[source_id][1] += count - messages
            tally[source_id][2] += unseen
        unseen_replies = (
            select(Reply.source_id, func.count())
            .where(*among(Reply.source_id), ~exists().where(SeenReply.reply_id == Reply.id))
            .group_by(Reply.source_id)
        )
        for source_id, count in session.execute(unseen_replies):
            tally[source_id][2] += count
    return tally


def source_records(
    session: Session, *, ids: Collection[int] | None = None, uuids: Collection[str] | None = None
) -> list[SourceRecord]:
    """Sources with their counts (all of them, or those of `ids` or `uuids`), newest first."""
    base = select(*SOURCE_COLUMNS).order_by(Source.last_updated.desc(), Source.id.desc())
    if ids is None and uuids is None:
        statements = [base]
    elif ids is not None:
        statements = [base.where(Source.id.in_(part)) for part in chunked(sorted(ids))]
    else:
        statements = [base.where(Source.uuid.in_(part)) for part in chunked(sorted(uuids or ()))]
    # Through the connection: plain rows, without the ORM's per-row bookkeeping. The connection
    # does not flush by itself, and a writer refreshing versions reads its own pending changes.
    session.flush()
    connection = session.connection()
    sources = [
        SourceRow(*row) for statement in statements for row in connection.execute(statement).all()
    ]
    if len(statements) > 1:
        sources.sort(key=lambda source: (source.last_updated, source.id), reverse=True)
    tally = _tally(session, None if ids is None and uuids is None else [s.id for s in sources])
    return [SourceRecord(source, *tally.get(source.id, (0, 0, 0))) for source in sources]


def source_versions(session: Session) -> list[tuple[int, str, str | None]]:
    """(id, uuid, version) of every source, newest first: the order of the list, and which of
    its entries changed since they were last read (None: a version not computed yet)."""
    statement = select(Source.id, Source.uuid, Source.version).order_by(
        Source.last_updated.desc(), Source.id.desc()
    )
    return [
        (id_, uuid, version) for id_, uuid, version in session.connection().execute(statement).all()
    ]


def _seen_marks(
    session: Session, model: type[SeenSubmission] | type[SeenReply], ids: Sequence[int] | None
) -> dict[int, tuple[str, ...]]:
    column = model.submission_id if model is SeenSubmission else model.reply_id  # type: ignore[union-attr]
    base = select(column, Journalist.uuid).join(Journalist, Journalist.id == model.journalist_id)
    statements = [base] if ids is None else [base.where(column.in_(part)) for part in chunked(ids)]
    marks: dict[int, list[str]] = defaultdict(list)
    for statement in statements:
        for item_id, journalist_uuid in session.execute(statement):
            marks[item_id].append(journalist_uuid)
    return {item_id: tuple(sorted(uuids)) for item_id, uuids in marks.items()}


def item_records(
    session: Session, items: Iterable[Submission | Reply], *, every: bool = False
) -> list[ItemRecord]:
    """`items` with their seen marks, in two queries (all marks at once when `every`)."""
    listed = list(items)
    submission_ids = [item.id for item in listed if isinstance(item, Submission)]
    reply_ids = [item.id for item in listed if isinstance(item, Reply)]
    seen_submissions = _seen_marks(session, SeenSubmission, None if every else submission_ids)
    seen_replies = _seen_marks(session, SeenReply, None if every else reply_ids)
    return [
        ItemRecord(
            item,
            (seen_submissions if isinstance(item, Submission) else seen_replies).get(item.id, ()),
        )
        for item in listed
    ]


def all_submissions(session: Session) -> list[Submission]:
    query = (
        select(Submission)
        .options(selectinload(Submission.source))
        .order_by(Submission.source_id, Submission.interaction_count)
    )
    return list(session.scalars(query))


def all_replies(session: Session) -> list[Reply]:
    query = (
        select(Reply)
        .options(selectinload(Reply.source), selectinload(Reply.journalist))
        .order_by(Reply.source_id, Reply.interaction_count)
    )
    return list(session.scalars(query))


def items_by_uuid(session: Session, uuids: Collection[str]) -> list[Submission | Reply]:
    """The messages, files and replies among `uuids`; unknown ones are left out."""
    found: list[Submission | Reply] = []
    for part in chunked(sorted(uuids)):
        found.extend(session.scalars(select(Submission).where(Submission.uuid.in_(part))))
        found.extend(session.scalars(select(Reply).where(Reply.uuid.in_(part))))
    return found
