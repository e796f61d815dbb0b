"""Replies a client encrypted itself (the API's way): checked to be an OpenPGP message, then
numbered, placed and recorded like every sealed file, with the reader keys it names."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sealdrop.crypto.armor import dearmor_message, is_encrypted_message, session_key_ids
from sealdrop.crypto.gpg import Gpg
from sealdrop.db.models import Journalist, Reply, SeenReply, Source, Submission
from sealdrop.domain.items import Kind
from sealdrop.errors import Conflict, ReplyNotEncrypted, RequestInvalid
from sealdrop.services import reader_keys, versions
from sealdrop.services.sealed import place_next, undo
from sealdrop.storage.store import Store

NOT_ENCRYPTED = "You must encrypt replies client side"
TAKEN = "That uuid is already in use; send the reply with another one, or none."


def client_uuid(value: object) -> str | None:
    """A uuid the client chose, in canonical form; RequestInvalid unless it is one."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise RequestInvalid("The reply's uuid must be a string holding a UUID.")
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise RequestInvalid("The reply's uuid is not a UUID.") from None


def _taken(session: Session, reply_uuid: str) -> bool:
    return (
        session.scalar(select(Reply.id).where(Reply.uuid == reply_uuid)) is not None
        or session.scalar(select(Submission.id).where(Submission.uuid == reply_uuid)) is not None
    )


def store_reply(
    session: Session,
    store: Store,
    gpg: Gpg,
    *,
    source: Source,
    journalist: Journalist,
    armored: str,
    reply_uuid: str | None,
    today: dt.date,
) -> Reply:
    """Store an armored reply as is, seen by its author; nothing stays behind on failure.

    RequestInvalid for an empty reply, ReplyNotEncrypted for anything but an encrypted OpenPGP
    message, Conflict for a uuid already used. The reply is linked to the reader keys its
    session key packets name, as a server-encrypted reply is, so the reader keys page counts it;
    a reply encrypted to no reader key (or to hidden recipients) is stored all the same.
    """
    if not armored.strip():
        raise RequestInvalid("A reply needs some content.")
    if not is_encrypted_message(armored):
        raise ReplyNotEncrypted(NOT_ENCRYPTED)
    if reply_uuid is not None and _taken(session, reply_uuid):
        raise Conflict(TAKEN)
    recipients = session_key_ids(dearmor_message(armored) or b"")
    readers = reader_keys.rows_opening(session, gpg, recipients)
    written: list[Path] = [store.staging_path(source.filesystem_id)]
    try:
        written[0].write_bytes(armored.encode("utf-8"))  # armor headers may hold any text
        done = place_next(session, store, source=source, staged=written[0], kind=Kind.REPLY)
        written.append(done.path)
        reply = Reply(
            source_id=source.id,
            filename=done.name,
            size=done.path.stat().st_size,
            interaction_count=done.count,
            deleted_by_source=False,
            journalist=journalist,
            reader_keys=readers,
        )
        if reply_uuid is not None:
            reply.uuid = reply_uuid
        session.add(reply)
        source.last_updated = today
        session.flush()
        session.add(SeenReply(reply_id=reply.id, journalist_id=journalist.id))
        versions.refresh_item_versions(session, [reply])
        versions.refresh_source_version(session, source)
        session.commit()
        return reply
    except IntegrityError:
        undo(session, store, filesystem_id=source.filesystem_id, paths=written)
        raise Conflict(TAKEN) from None
    except BaseException:
        undo(session, store, filesystem_id=source.filesystem_id, paths=written)
        raise
