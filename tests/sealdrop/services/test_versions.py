"""Record versions: renewed by every write that changes what a client is shown, unchanged by
anything else, and read back as one index."""

from __future__ import annotations

import threading
from collections.abc import Callable

from sqlalchemy import update
from sqlalchemy.orm import Session

from sealdrop.db.models import Journalist, Reply, Source, Submission
from sealdrop.runtime.instance import Instance
from sealdrop.services import conversations, items, journalists, records, versions
from sealdrop.services.audit import Actor
from sealdrop.services.journalists import Profile
from sealdrop.services.replies import create_reply
from sealdrop.services.submissions import accept_message
from tests.harness import TODAY, ReaderKeys, source_with_a_message
from tests.sealdrop.services.journalist_helpers import add_journalist

Versioned = Source | Submission | Reply | Journalist


def version_of(session: Session, model: type[Versioned], key: int) -> str | None:
    session.expire_all()
    row = session.get(model, key)
    assert isinstance(row, Source | Submission | Reply | Journalist)
    return row.version


def test_each_write_renews_the_versions_it_changes(
    instance: Instance, reader_keys: ReaderKeys
) -> None:
    with instance.sessions() as session:
        login, message = source_with_a_message(
            instance, session, "one", recipients=[reader_keys.key]
        )
        source = login.source
        first = version_of(session, Source, source.id)
        message_version = version_of(session, Submission, message.id)
        assert first and message_version

        accept_message(
            session,
            instance.store,
            instance.gpg,
            source=source,
            text="two",
            recipients=[reader_keys.key],
            today=TODAY,
        )
        second = version_of(session, Source, source.id)
        assert second != first
        assert version_of(session, Submission, message.id) == message_version

        conversations.set_starred(session, source, starred=True)
        starred = version_of(session, Source, source.id)
        assert starred != second

        dana = add_journalist(session, instance.config, "dana")
        items.mark_seen(session, dana, submissions=[message.uuid], replies=[])
        assert version_of(session, Submission, message.id) != message_version

        reply = create_reply(
            session,
            instance.store,
            instance.gpg,
            source=source,
            text="hi",
            readers=[reader_keys.key],
            today=TODAY,
        )
        assert reply.version and version_of(session, Source, source.id) != starred


def test_journalist_versions_follow_their_names_and_their_deletion(
    instance: Instance, reader_keys: ReaderKeys
) -> None:
    with instance.sessions() as session:
        dana = add_journalist(session, instance.config, "dana")
        boss = add_journalist(session, instance.config, "boss", admin=True)
        before = version_of(session, Journalist, dana.id)
        journalists.edit(session, dana, profile=Profile("dana", "Dana", "Katherine Scully"))
        session.commit()
        assert version_of(session, Journalist, dana.id) != before

        login, _ = source_with_a_message(instance, session, "x", recipients=[reader_keys.key])
        reply = create_reply(
            session,
            instance.store,
            instance.gpg,
            source=login.source,
            text="hi",
            readers=[reader_keys.key],
            today=TODAY,
        )
        reply.journalist = dana
        versions.refresh_item_versions(session, [reply])
        session.commit()
        by_dana = version_of(session, Reply, reply.id)
        journalists.remove(session, dana)
        session.commit()
        assert version_of(session, Reply, reply.id) != by_dana
        assert boss.is_admin  # the last admin may not be deleted, so dana is not it


def test_the_index_fills_missing_versions_once_and_is_stable(
    instance: Instance, reader_keys: ReaderKeys
) -> None:
    with instance.sessions() as session:
        source_with_a_message(instance, session, "x", recipients=[reader_keys.key])
        first = versions.index(session)
        session.execute(update(Source).values(version=None))
        session.commit()
        assert versions.fill_missing(session) is True
        session.commit()
        assert versions.fill_missing(session) is False
        again = versions.index(session)
        assert again == first and again.version == first.version


def test_concurrent_writers_leave_a_current_version(
    instance: Instance, reader_keys: ReaderKeys
) -> None:
    with instance.sessions() as session:
        login, message = source_with_a_message(instance, session, "x", recipients=[reader_keys.key])
        ids = [add_journalist(session, instance.config, f"j{n}x").id for n in range(4)]
        source_id, message_uuid = login.source.id, message.uuid
    start = threading.Barrier(len(ids))

    def mark(journalist_id: int) -> None:
        with instance.sessions() as session:
            journalist = session.get(Journalist, journalist_id)
            assert journalist is not None
            start.wait()
            items.mark_seen(session, journalist, submissions=[message_uuid], replies=[])

    threads = [threading.Thread(target=mark, args=(each,)) for each in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with instance.sessions() as session:
        stored = (
            version_of(session, Source, source_id),
            version_of(session, Submission, message.id),
        )
        source = session.get(Source, source_id)
        assert source is not None
        versions.refresh_source_tree(session, source)
        assert stored == (source.version, source.submissions[0].version)
        [record] = records.item_records(session, source.submissions)
        assert len(record.seen_by) == len(ids)


def test_the_cached_index_version_never_outlives_a_change(
    instance: Instance, reader_keys: ReaderKeys
) -> None:
    """After each kind of write the cache is either empty or right, never stale."""
    cache = versions.GenerationCache[str]()
    admin = Actor("dana", TODAY)
    with instance.sessions() as session:
        login, message = source_with_a_message(instance, session, "a", recipients=[reader_keys.key])
        other, _ = source_with_a_message(instance, session, "b", recipients=[reader_keys.key])
        source = login.source
        dana = add_journalist(session, instance.config, "dana")

        def reply() -> None:
            create_reply(
                session,
                instance.store,
                instance.gpg,
                source=source,
                text="hi",
                readers=[reader_keys.key],
                today=TODAY,
            )

        writes: dict[str, Callable[[], object]] = {
            "message": lambda: accept_message(
                session,
                instance.store,
                instance.gpg,
                source=source,
                text="two",
                recipients=[reader_keys.key],
                today=TODAY,
            ),
            "star": lambda: conversations.set_starred(session, source, starred=True),
            "seen": lambda: items.mark_seen(session, dana, submissions=[message.uuid], replies=[]),
            "read": lambda: items.mark_read(session, [message]),
            "reply": reply,
            "journalist renamed": lambda: journalists.edit(
                session, dana, profile=Profile("dana", "Dana")
            ),
            "journalist added": lambda: add_journalist(session, instance.config, "eve"),
            "item deleted": lambda: items.delete_item(session, instance.store, message, by=admin),
            "truncated": lambda: items.truncate_conversation(
                session, instance.store, source, by=admin
            ),
            "journalist removed": lambda: journalists.remove(session, dana),
            "source deleted": lambda: items.delete_source(
                session, instance.store, other.source, by=admin
            ),
        }

        def cached() -> str | None:
            return cache.value_at(versions.generation(session))

        def read() -> str:
            return versions.at_generation(session, cache, lambda: versions.index(session).version)

        for name, write in writes.items():
            before = read()
            assert cached() == before, name
            write()
            session.commit()
            assert cached() is None, f"stale after: {name}"
            after = read()
            assert after != before, name
            assert cached() == after, name
