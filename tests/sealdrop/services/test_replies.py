"""Replies: encrypted to the source and the newsroom, read back at login, hidden on request."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sealdrop.db.models import Reply, Source
from sealdrop.domain.designations import as_filename_part
from sealdrop.domain.keys import Fingerprint, Passphrase, PublicKey
from sealdrop.errors import EmptySubmission, EncryptionFailed, NotFound
from sealdrop.runtime.instance import Instance
from sealdrop.services.replies import (
    ReadableReply,
    create_reply,
    delete_all_replies,
    delete_reply,
    replies_for_source,
)
from sealdrop.services.sources import SourceLogin
from tests.harness import TODAY, ReaderKeys, new_source, source_with_a_message


def fresh(session: Session, login: SourceLogin) -> Source:
    """The source as a new request loads it; merging the stale object would write old counts."""
    source = session.get(Source, login.source.id)
    assert source is not None
    return source


def reply(instance: Instance, login: SourceLogin, text: str, key: PublicKey) -> Reply:
    with instance.sessions() as session:
        source = fresh(session, login)
        return create_reply(
            session,
            instance.store,
            instance.gpg,
            source=source,
            text=text,
            readers=[key],
            today=TODAY,
        )


def read(
    instance: Instance, login: SourceLogin, passphrase: Passphrase | None = None
) -> list[ReadableReply]:
    with instance.sessions() as session:
        source = fresh(session, login)
        return replies_for_source(
            session,
            instance.store,
            instance.gpg,
            source=source,
            passphrase=passphrase or login.reply_passphrase,
        )


def test_reply_reads_back_for_its_source(instance: Instance, reader_keys: ReaderKeys) -> None:
    with instance.sessions() as session:
        _, login = new_source(instance, session)
    created = reply(instance, login, "Merci — nous avons tout reçu.", reader_keys.key)

    assert created.filename == (
        f"1-{as_filename_part(login.source.journalist_designation)}-reply.gpg"
    )
    assert read(instance, login) == [ReadableReply(created.uuid, "Merci — nous avons tout reçu.")]
    path = instance.store.path_of(login.source.filesystem_id, created.filename)
    assert path.stat().st_mode & 0o777 == 0o600
    # The newsroom can read its own replies on the reader machine too.
    assert reader_keys.decrypt(path).decode() == "Merci — nous avons tout reçu."


def test_wrong_passphrase_reads_nothing(instance: Instance, reader_keys: ReaderKeys) -> None:
    with instance.sessions() as session:
        _, login = new_source(instance, session)
    created = reply(instance, login, "text", reader_keys.key)

    assert read(instance, login, Passphrase("not it")) == [ReadableReply(created.uuid, None)]


def test_replies_share_the_count_with_submissions(
    instance: Instance, reader_keys: ReaderKeys
) -> None:
    with instance.sessions() as session:
        login, _ = source_with_a_message(instance, session, "hello", recipients=[reader_keys.key])
    first = reply(instance, login, "one", reader_keys.key)
    second = reply(instance, login, "two", reader_keys.key)

    assert (first.interaction_count, second.interaction_count) == (2, 3)
    assert [r.text for r in read(instance, login)] == ["one", "two"]


def test_empty_reply_is_refused(instance: Instance, reader_keys: ReaderKeys) -> None:
    with instance.sessions() as session:
        _, login = new_source(instance, session)
    with pytest.raises(EmptySubmission):
        reply(instance, login, " \n ", reader_keys.key)
    assert read(instance, login) == []


def test_failed_reply_leaves_nothing(instance: Instance) -> None:
    with instance.sessions() as session:
        _, login = new_source(instance, session)
    with pytest.raises(EncryptionFailed, match="could not encrypt"):
        reply(instance, login, "text", PublicKey(Fingerprint("0" * 40), "not a key"))
    with instance.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Reply)) == 0
    directory = instance.store.root / login.source.filesystem_id
    assert not directory.exists(), "no folder for a source whose only file failed"
    assert list(instance.store.staging.iterdir()) == []


def test_delete_reply_hides_it(instance: Instance, reader_keys: ReaderKeys) -> None:
    with instance.sessions() as session:
        _, login = new_source(instance, session)
    kept = reply(instance, login, "keep", reader_keys.key)
    gone = reply(instance, login, "hide", reader_keys.key)

    with instance.sessions() as session:
        delete_reply(session, source=fresh(session, login), reply_uuid=gone.uuid)
        with pytest.raises(NotFound):
            delete_reply(session, source=fresh(session, login), reply_uuid=gone.uuid)

    assert read(instance, login) == [ReadableReply(kept.uuid, "keep")]
    # The newsroom's copy stays: only the source's view changes.
    assert instance.store.path_of(login.source.filesystem_id, gone.filename).exists()


def test_another_sources_reply_cannot_be_deleted(
    instance: Instance, reader_keys: ReaderKeys
) -> None:
    with instance.sessions() as session:
        _, mine = new_source(instance, session)
        _, theirs = new_source(instance, session)
    their_reply = reply(instance, theirs, "theirs", reader_keys.key)

    with instance.sessions() as session:
        for uuid in (their_reply.uuid, "no-such-reply"):
            with pytest.raises(NotFound):
                delete_reply(session, source=fresh(session, mine), reply_uuid=uuid)

    assert [r.text for r in read(instance, theirs)] == ["theirs"]


def test_delete_all_replies(instance: Instance, reader_keys: ReaderKeys) -> None:
    with instance.sessions() as session:
        _, login = new_source(instance, session)
        _, other = new_source(instance, session)
    for text in ("a", "b"):
        reply(instance, login, text, reader_keys.key)
    reply(instance, other, "c", reader_keys.key)

    with instance.sessions() as session:
        assert delete_all_replies(session, source=fresh(session, login)) == 2
        assert delete_all_replies(session, source=fresh(session, login)) == 0

    assert read(instance, login) == []
    assert [r.text for r in read(instance, other)] == ["c"]
