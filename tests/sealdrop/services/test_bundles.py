"""Bundles of real sources: what a journalist downloads decrypts on the reader to what was sent."""

from __future__ import annotations

from pathlib import Path

import pytest

from sealdrop.bundle.reader import open_bundle
from sealdrop.db.models import Source
from sealdrop.domain.items import Kind
from sealdrop.errors import NotFound
from sealdrop.runtime.instance import Instance
from sealdrop.services.bundles import PreparedBundle, bundle_items, bundle_source
from sealdrop.services.replies import create_reply
from tests.harness import TODAY, ReaderKeys, source_with_a_message


def saved(prepared: PreparedBundle, path: Path) -> Path:
    with path.open("wb") as out:
        for chunk in prepared.chunks:
            out.write(chunk)
    return path


def test_a_sources_bundle_decrypts_on_the_reader(
    instance: Instance, reader_keys: ReaderKeys, tmp_path: Path
) -> None:
    text = "The ledger is in the second drawer."
    with instance.sessions() as session:
        login, message = source_with_a_message(
            instance, session, text, recipients=[reader_keys.key]
        )
        source = session.get(Source, login.source.id)
        assert source is not None
        reply = create_reply(
            session,
            instance.store,
            instance.gpg,
            source=source,
            text="Thank you.",
            readers=[reader_keys.key],
            today=TODAY,
        )
        session.refresh(source)
        prepared = bundle_source(
            session, instance.store, source=source, instance="Test", today=TODAY
        )
        designation, source_uuid = source.journalist_designation, source.uuid
        message_uuid, reply_uuid = message.uuid, reply.uuid
    # The session is closed: the stream needs only the plain values.
    bundle = saved(prepared, tmp_path / "bundle.zip")

    hyphens = designation.replace(" ", "-")
    with open_bundle(bundle) as opened:
        opened.verify()
        assert [(s.designation, s.uuid) for s in opened.manifest.sources] == [
            (designation, source_uuid)
        ]
        assert [(e.path, e.kind, e.uuid) for e in opened] == [
            (f"{designation}/1-{hyphens}-msg.gpg", Kind.MESSAGE, message_uuid),
            (f"{designation}/2-{hyphens}-reply.gpg", Kind.REPLY, reply_uuid),
        ]
        extracted = []
        for entry in opened:
            path = tmp_path / entry.path.rsplit("/", 1)[1]
            path.write_bytes(b"".join(opened.chunks(entry)))
            extracted.append(path)
    assert reader_keys.decrypt(extracted[0]) == text.encode()
    assert reader_keys.decrypt(extracted[1]) == b"Thank you."


def test_chosen_items_across_sources(
    instance: Instance, reader_keys: ReaderKeys, tmp_path: Path
) -> None:
    with instance.sessions() as session:
        _, first = source_with_a_message(instance, session, "one", recipients=[reader_keys.key])
        _, second = source_with_a_message(instance, session, "two", recipients=[reader_keys.key])
        prepared = bundle_items(
            session,
            instance.store,
            item_uuids=[second.uuid, first.uuid],
            instance="Test",
            today=TODAY,
        )
        designations = sorted(
            [first.source.journalist_designation, second.source.journalist_designation]
        )
    assert [item.source_designation for item in prepared.items] == designations
    with open_bundle(saved(prepared, tmp_path / "b.zip")) as opened:
        opened.verify()
        texts = set()
        for entry in opened:
            path = tmp_path / f"{entry.uuid}.gpg"
            path.write_bytes(b"".join(opened.chunks(entry)))
            texts.add(reader_keys.decrypt(path))
    assert texts == {b"one", b"two"}


def test_unknown_or_missing_items_fail_before_streaming(
    instance: Instance, reader_keys: ReaderKeys
) -> None:
    with instance.sessions() as session:
        login, message = source_with_a_message(instance, session, "x", recipients=[reader_keys.key])
        with pytest.raises(NotFound, match="no longer exist"):
            bundle_items(
                session,
                instance.store,
                item_uuids=[message.uuid, "00000000-0000-4000-8000-000000000000"],
                instance="Test",
                today=TODAY,
            )
        instance.store.path_of(login.source.filesystem_id, message.filename).unlink()
        with pytest.raises(NotFound, match="sealdrop check"):
            bundle_items(
                session, instance.store, item_uuids=[message.uuid], instance="Test", today=TODAY
            )
