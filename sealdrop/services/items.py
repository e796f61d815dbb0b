"""A source's messages, files and replies as the newsroom handles them: find, mark seen, delete,
and delete a source with everything it left."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from sealdrop.db.models import Journalist, Reply, SeenReply, SeenSubmission, Source, Submission
from sealdrop.errors import NotFound
from sealdrop.services import audit, records, versions
from sealdrop.services.audit import Actor
from sealdrop.storage.store import Store

Item = Submission | Reply


def submission_of(session: Session, source: Source, item_uuid: str) -> Submission:
    found = session.scalar(
        select(Submission).where(Submission.uuid == item_uuid, Submission.source_id == source.id)
    )
    if found is None:
        raise NotFound("That source has no such message or file.")
    return found


def reply_of(session: Session, source: Source, item_uuid: str) -> Reply:
    found = session.scalar(
        select(Reply).where(Reply.uuid == item_uuid, Reply.source_id == source.id)
    )
    if found is None:
        raise NotFound("That source has no such reply.")
    return found


def item_by_uuid(session: Session, item_uuid: str) -> Item:
    """A message, file or reply of any source."""
    found: Item | None = session.scalar(select(Submission).where(Submission.uuid == item_uuid))
    found = found or session.scalar(select(Reply).where(Reply.uuid == item_uuid))
    if found is None:
        raise NotFound("There is no such message, file or reply.")
    return found


def _find_all(session: Session, model: type[Item], uuids: Collection[str]) -> list[Item]:
    wanted = set(uuids)
    found: list[Item] = []
    for part in records.chunked(sorted(wanted)):
        found.extend(session.scalars(select(model).where(model.uuid.in_(part))))
    if len(found) != len(wanted):
        raise NotFound("At least one of those items does not exist; nothing was marked seen.")
    return found


def _insert_ignoring_duplicates(session: Session, model: type, rows: list[dict[str, int]]) -> None:
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(model).values(rows).on_conflict_do_nothing())


def mark_seen(
    session: Session,
    journalist: Journalist,
    *,
    submissions: Collection[str],
    replies: Collection[str],
) -> None:
    """Mark items seen by `journalist`, all or none: any unknown uuid raises NotFound first."""
    found_submissions = _find_all(session, Submission, submissions)
    found_replies = _find_all(session, Reply, replies)
    mark_items_seen(session, journalist, [*found_submissions, *found_replies])


def mark_items_seen(session: Session, journalist: Journalist, items: Collection[Item]) -> None:
    """Mark rows already found as seen by `journalist`, renew their versions, commit."""
    _insert_ignoring_duplicates(
        session,
        SeenSubmission,
        [
            {"submission_id": item.id, "journalist_id": journalist.id}
            for item in items
            if isinstance(item, Submission)
        ],
    )
    _insert_ignoring_duplicates(
        session,
        SeenReply,
        [
            {"reply_id": item.id, "journalist_id": journalist.id}
            for item in items
            if isinstance(item, Reply)
        ],
    )
    versions.refresh_item_versions(session, items)
    versions.refresh_sources(session, {item.source_id: item.source for item in items}.values())
    session.commit()


def mark_items_unseen(session: Session, journalist: Journalist, items: Collection[Item]) -> None:
    """Remove `journalist`'s seen marks from rows already found, renew their versions, commit.

    Other journalists' marks stay: seen is per journalist.
    """
    submission_ids = sorted(item.id for item in items if isinstance(item, Submission))
    reply_ids = sorted(item.id for item in items if isinstance(item, Reply))
    for part in records.chunked(submission_ids):
        session.execute(
            delete(SeenSubmission).where(
                SeenSubmission.journalist_id == journalist.id,
                SeenSubmission.submission_id.in_(part),
            )
        )
    for part in records.chunked(reply_ids):
        session.execute(
            delete(SeenReply).where(
                SeenReply.journalist_id == journalist.id, SeenReply.reply_id.in_(part)
            )
        )
    versions.refresh_item_versions(session, items)
    versions.refresh_sources(session, {item.source_id: item.source for item in items}.values())
    session.commit()


def items_of(session: Session, source: Source, item_uuids: Collection[str]) -> list[Item]:
    """The messages, files and replies of `source` with these uuids, all or none: NotFound if
    any is unknown or belongs to another source."""
    wanted = set(item_uuids)
    found: list[Item] = []
    for part in records.chunked(sorted(wanted)):
        found.extend(
            session.scalars(
                select(Submission).where(
                    Submission.uuid.in_(part), Submission.source_id == source.id
                )
            )
        )
        found.extend(
            session.scalars(select(Reply).where(Reply.uuid.in_(part), Reply.source_id == source.id))
        )
    if len(found) != len(wanted):
        raise NotFound("At least one of those items is not in this conversation; reload the page.")
    return sorted(found, key=lambda item: item.interaction_count)


def sources_by_uuid(session: Session, source_uuids: Collection[str]) -> list[Source]:
    """The sources with these uuids, all or none: NotFound if any is unknown."""
    wanted = set(source_uuids)
    found: list[Source] = []
    for part in records.chunked(sorted(wanted)):
        found.extend(session.scalars(select(Source).where(Source.uuid.in_(part))))
    if len(found) != len(wanted):
        raise NotFound("At least one of the chosen sources no longer exists; reload the page.")
    return sorted(found, key=lambda source: source.journalist_designation)


def mark_conversation_seen(
    session: Session, journalist: Journalist, source: Source, *, upper_bound: int
) -> None:
    """Every item of `source` up to interaction `upper_bound`, seen by `journalist`."""
    every: list[Item] = [*source.submissions, *source.replies]
    items = [item for item in every if item.interaction_count <= upper_bound]
    mark_items_seen(session, journalist, items)


def mark_read(session: Session, submissions: Sequence[Submission]) -> None:
    """Messages or files were downloaded, as SecureDrop records it; commits."""
    unread = [submission for submission in submissions if not submission.is_read]
    if unread:
        for submission in unread:
            submission.is_read = True
        versions.refresh_item_versions(session, unread)
        session.commit()


def _file_of(store: Store, item: Item) -> Path:
    return store.path_of(item.source.filesystem_id, item.filename)


def kind_of(item: Item) -> str:
    return "reply" if isinstance(item, Reply) else item.kind


def delete_item(session: Session, store: Store, item: Item, *, by: Actor) -> None:
    """Remove one message, file or reply: its row, then its file, overwritten before unlinking;
    audited in the same transaction.

    The source's interaction count stays: file numbers are never reused.
    """
    source = item.source
    path = _file_of(store, item)
    _audit(session, by, f"delete {kind_of(item)}", source)
    session.delete(item)
    session.flush()
    session.expire(source, ["submissions", "replies"])
    versions.refresh_source_version(session, source)
    session.commit()
    store.secure_delete(path)


def _audit(session: Session, by: Actor, action: str, source: Source) -> None:
    target = source.journalist_designation
    audit.record(session, actor=by.username, action=action, target=target, today=by.today)


def truncate_conversation(
    session: Session, store: Store, source: Source, *, by: Actor, upper_bound: int | None = None
) -> int:
    """Delete the source's items up to interaction `upper_bound` (all when None); the source
    stays. Audited when anything goes. Returns how many were deleted."""
    every: list[Item] = [*source.submissions, *source.replies]
    doomed = [
        item for item in every if upper_bound is None or item.interaction_count <= upper_bound
    ]
    paths = [_file_of(store, item) for item in doomed]
    if doomed:
        _audit(session, by, f"delete {len(doomed)} of the conversation", source)
    for item in doomed:
        session.delete(item)
    session.flush()
    session.expire(source, ["submissions", "replies"])
    versions.refresh_source_version(session, source)
    session.commit()
    for path in paths:
        store.secure_delete(path)
    return len(doomed)


def delete_source(session: Session, store: Store, source: Source, *, by: Actor) -> None:
    """Delete a source with everything: rows (its key pair lives in its row), then its files;
    audited in the same transaction."""
    filesystem_id = source.filesystem_id
    _audit(session, by, "delete source", source)
    session.delete(source)
    session.commit()
    store.delete_source(filesystem_id)
