"""Replies to a source: writing them (encrypted to source and readers) and reading them back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from sealdrop.crypto.gpg import Gpg
from sealdrop.crypto.source_keys import SourceKey
from sealdrop.db.models import Journalist, Reply, Source
from sealdrop.domain.items import Kind
from sealdrop.domain.keys import Fingerprint, Passphrase, PublicKey
from sealdrop.errors import DecryptionFailed, EmptySubmission, NotFound, SubmissionsClosed
from sealdrop.services import versions
from sealdrop.services.intake import usable_reader_keys
from sealdrop.services.reader_keys import rows_for
from sealdrop.services.sealed import place_next, seal_text, undo
from sealdrop.services.sources import NewSource
from sealdrop.storage.store import Store

UNREADABLE = None


@dataclass(frozen=True)
class ReadableReply:
    """A reply as a source sees it; `text` is None when it could not be decrypted."""

    uuid: str
    text: str | None


def create_reply(
    session: Session,
    store: Store,
    gpg: Gpg,
    *,
    source: Source,
    text: str,
    readers: Sequence[PublicKey],
    today: dt.date,
    journalist: Journalist | None = None,
) -> Reply:
    """Encrypt a reply to the source's key and every reader key given (the active ones, from
    intake.usable_reader_keys), in one ciphertext; store it and record whom it went to.

    `journalist` is who wrote it, shown to the newsroom (never to the source).
    """
    if not text.strip():
        raise EmptySubmission("A reply needs some text.")
    recipients: Sequence[PublicKey] = [source_key(source).public, *readers]
    written: list[Path] = []
    try:
        written.append(
            seal_text(
                store, gpg, filesystem_id=source.filesystem_id, text=text, recipients=recipients
            )
        )
        done = place_next(session, store, source=source, staged=written[0], kind=Kind.REPLY)
        written.append(done.path)
        reply = Reply(
            source_id=source.id,
            filename=done.name,
            size=done.path.stat().st_size,
            interaction_count=done.count,
            deleted_by_source=False,
            reader_keys=rows_for(session, readers),
            journalist_id=journalist.id if journalist is not None else None,
        )
        session.add(reply)
        source.last_updated = today
        versions.refresh_item_versions(session, [reply])
        versions.refresh_source_version(session, source)
        session.commit()
        return reply
    except BaseException:
        undo(session, store, filesystem_id=source.filesystem_id, paths=written)
        raise


def reply_from_newsroom(
    session: Session,
    store: Store,
    gpg: Gpg,
    *,
    source: Source,
    text: str,
    journalist: Journalist,
    today: dt.date,
) -> Reply:
    """create_reply() to the active reader keys as they stand now, by `journalist`.

    Refused without a usable reader key: a reply only the source could open would be lost to
    the newsroom's own record.
    """
    readers = usable_reader_keys(session, gpg)
    if not readers:
        raise SubmissionsClosed("This instance has no reader key: an admin must add one first.")
    return create_reply(
        session,
        store,
        gpg,
        source=source,
        text=text,
        readers=readers,
        today=today,
        journalist=journalist,
    )


def source_key(source: Source) -> SourceKey:
    """The reply key kept in the source's row."""
    if source.public_key is None or source.secret_key is None:
        # Unreachable on a served instance: start-up refuses rows without keys.
        raise DecryptionFailed("This reply could not be decrypted.")
    return SourceKey(
        PublicKey(Fingerprint(source.key_fingerprint), source.public_key), source.secret_key
    )


def _visible_replies(session: Session, source: Source) -> list[Reply]:
    query = (
        select(Reply)
        .where(Reply.source_id == source.id, Reply.deleted_by_source.is_(False))
        .order_by(Reply.interaction_count)
    )
    return list(session.scalars(query))


def replies_for_source(
    session: Session,
    store: Store,
    gpg: Gpg,
    *,
    source: Source | NewSource,
    passphrase: Passphrase,
) -> list[ReadableReply]:
    """Decrypt the source's replies with the passphrase derived at login; nothing is kept.

    All of them in one throwaway GnuPG home; a source with no submission yet has none.
    """
    if isinstance(source, NewSource):
        return []
    shown = _visible_replies(session, source)
    paths = [store.path_of(source.filesystem_id, reply.filename) for reply in shown]
    texts = gpg.decrypt_with_key(paths, source_key(source), passphrase)
    return [
        ReadableReply(
            uuid=reply.uuid,
            text=UNREADABLE if data is None else data.decode("utf-8", errors="replace"),
        )
        for reply, data in zip(shown, texts, strict=True)
    ]


def delete_reply(session: Session, *, source: Source | NewSource, reply_uuid: str) -> None:
    """Hide a reply from its source; the newsroom's copy stays, as in SecureDrop."""
    if isinstance(source, NewSource):
        raise NotFound("That reply does not exist, or was already deleted.")
    reply = session.scalar(
        select(Reply).where(Reply.uuid == reply_uuid, Reply.source_id == source.id)
    )
    if reply is None or reply.deleted_by_source:
        raise NotFound("That reply does not exist, or was already deleted.")
    reply.deleted_by_source = True
    versions.refresh_item_versions(session, [reply])
    session.commit()


def delete_all_replies(session: Session, *, source: Source | NewSource) -> int:
    if isinstance(source, NewSource):
        return 0
    replies = _visible_replies(session, source)
    for reply in replies:
        reply.deleted_by_source = True
    versions.refresh_item_versions(session, replies)
    session.commit()
    return len(replies)
