"""Replies to a source: writing them (encrypted to source and newsroom) and reading them back."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from sealdrop.crypto.gpg import Fingerprint, Gpg, Passphrase
from sealdrop.db.models import Reply, Source
from sealdrop.errors import DecryptionFailed, EmptySubmission, NotFound
from sealdrop.services.naming import Kind
from sealdrop.services.submissions import place_next
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
    submission_key: Fingerprint,
    today: dt.date,
) -> Reply:
    """Encrypt a reply to the source's key and the Submission Key, store it, record it."""
    if not text.strip():
        raise EmptySubmission("A reply needs some text.")
    recipients: Sequence[Fingerprint] = [Fingerprint(source.key_fingerprint), submission_key]
    staged = store.staging_path(source.filesystem_id)
    placed = None
    try:
        gpg.encrypt_bytes(text.encode("utf-8"), recipients, staged)
        count, name, placed = place_next(
            session, store, source=source, staged=staged, kind=Kind.REPLY
        )
        reply = Reply(
            source_id=source.id,
            filename=name,
            size=placed.stat().st_size,
            interaction_count=count,
            deleted_by_source=False,
        )
        session.add(reply)
        source.last_updated = today
        session.commit()
        return reply
    except BaseException:
        session.rollback()
        for path in (staged, placed):
            if path is not None:
                with contextlib.suppress(OSError):
                    store.secure_delete(path)
        raise


def _visible_replies(session: Session, source: Source) -> list[Reply]:
    query = (
        select(Reply)
        .where(Reply.source_id == source.id, Reply.deleted_by_source.is_(False))
        .order_by(Reply.interaction_count)
    )
    return list(session.scalars(query))


def replies_for_source(
    session: Session, store: Store, gpg: Gpg, *, source: Source, passphrase: Passphrase
) -> list[ReadableReply]:
    """Decrypt the source's replies with the passphrase derived at login; nothing is kept."""
    readable = []
    for reply in _visible_replies(session, source):
        try:
            data = gpg.decrypt_with_passphrase(
                store.path_of(source.filesystem_id, reply.filename), passphrase
            )
            text: str | None = data.decode("utf-8", errors="replace")
        except DecryptionFailed:
            text = UNREADABLE
        readable.append(ReadableReply(uuid=reply.uuid, text=text))
    return readable


def delete_reply(session: Session, *, source: Source, reply_uuid: str) -> None:
    """Hide a reply from its source; the newsroom's copy stays, as in SecureDrop."""
    reply = session.scalar(
        select(Reply).where(Reply.uuid == reply_uuid, Reply.source_id == source.id)
    )
    if reply is None or reply.deleted_by_source:
        raise NotFound("That reply does not exist, or was already deleted.")
    reply.deleted_by_source = True
    session.commit()


def delete_all_replies(session: Session, *, source: Source) -> int:
    replies = _visible_replies(session, source)
    for reply in replies:
        reply.deleted_by_source = True
    session.commit()
    return len(replies)
