"""Numbering stored files: each number once, in order, and never over a file already there."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import select

from sealdrop.db.models import Source, Submission
from sealdrop.domain.designations import as_filename_part
from sealdrop.errors import StoreOutOfStep
from sealdrop.runtime.instance import Instance
from sealdrop.services.consistency import check
from sealdrop.services.sealed import PLACE_ATTEMPTS
from sealdrop.services.submissions import accept
from tests.harness import TODAY, ReaderKeys, new_source
from tests.sealdrop.services.submission_helpers import (
    assert_nothing_stored,
    recipients,
    stored,
    upload,
)


def plant(instance: Instance, source: Source, name: str) -> Path:
    """A file left in the store without a row, as a crash after placing or a restore leaves."""
    planted = instance.store.root / source.filesystem_id / name
    planted.parent.mkdir(mode=0o700, exist_ok=True)
    planted.write_bytes(b"stored before")
    planted.chmod(0o600)
    return planted


def test_numbering_continues_across_submissions(instance: Instance) -> None:
    with instance.sessions() as session:
        _, login = new_source(instance, session)
        source, to = login.source, recipients(instance, session)
        counts = []
        for text in ("one", "two"):
            extra = [upload(instance, source, "f.txt", text.encode(), to=to)]
            records = accept(
                session,
                instance.store,
                instance.gpg,
                source=source,
                message=text,
                uploads=extra,
                recipients=to,
                today=TODAY,
            )
            counts += [record.interaction_count for record in records]
        assert counts == [1, 2, 3, 4]
        assert source.interaction_count == 4
        assert len(stored(instance, source)) == 4


def test_a_taken_number_is_skipped_and_reported(
    instance: Instance, reader_keys: ReaderKeys
) -> None:
    with instance.sessions() as session:
        _, login = new_source(instance, session)
        source, to = login.source, recipients(instance, session)
        part = as_filename_part(source.journalist_designation)
        planted = plant(instance, source, f"1-{part}-msg.gpg")

        [record] = accept(
            session,
            instance.store,
            instance.gpg,
            source=source,
            message="hello",
            uploads=[],
            recipients=to,
            today=TODAY,
        )

        assert (record.filename, record.interaction_count) == (f"2-{part}-msg.gpg", 2)
        assert source.interaction_count == 2
        assert stored(instance, source) == [planted.name, record.filename]
    assert planted.read_bytes() == b"stored before"
    assert reader_keys.decrypt(planted.parent / record.filename) == b"hello"
    assert check(instance.config).problems == [
        f"stray file: {source.filesystem_id}/{planted.name} is on disk only"
    ]


def test_an_existing_file_is_never_overwritten(instance: Instance) -> None:
    with instance.sessions() as session:
        _, login = new_source(instance, session)
        source, to = login.source, recipients(instance, session)
        part = as_filename_part(source.journalist_designation)
        planted = plant(instance, source, f"2-{part}-doc.gz.gpg")

        records = accept(
            session,
            instance.store,
            instance.gpg,
            source=source,
            message="text",
            uploads=[upload(instance, source, "f", b"data", to=to)],
            recipients=to,
            today=TODAY,
        )

        assert [(r.kind, r.interaction_count) for r in records] == [("message", 1), ("file", 3)]
        assert stored(instance, source) == sorted(
            [planted.name, *(record.filename for record in records)]
        )
    assert planted.read_bytes() == b"stored before"


def test_placing_gives_up_after_repeated_collisions(instance: Instance) -> None:
    with instance.sessions() as session:
        _, login = new_source(instance, session)
        source, to = login.source, recipients(instance, session)
        source_id = source.id
        part = as_filename_part(source.journalist_designation)
        planted = [
            plant(instance, source, f"{n}-{part}-msg.gpg").name
            for n in range(1, PLACE_ATTEMPTS + 1)
        ]

        with pytest.raises(StoreOutOfStep, match="out of step"):
            accept(
                session,
                instance.store,
                instance.gpg,
                source=source,
                message="text",
                uploads=[],
                recipients=to,
                today=TODAY,
            )
    assert_nothing_stored(instance, source_id, extra=planted)


def test_concurrent_submissions_get_distinct_numbers(
    instance: Instance, reader_keys: ReaderKeys
) -> None:
    threads, rounds = 4, 3
    with instance.sessions() as session:
        _, login = new_source(instance, session)
        source_id, to = login.source.id, recipients(instance, session)
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []

    def send(worker: int) -> None:
        try:
            with instance.sessions() as session:
                source = session.get(Source, source_id)
                assert source is not None
                barrier.wait()
                for round_ in range(rounds):
                    accept(
                        session,
                        instance.store,
                        instance.gpg,
                        source=source,
                        message=f"{worker}/{round_}",
                        uploads=[],
                        recipients=to,
                        today=TODAY,
                    )
        except BaseException as exc:  # the main thread reports it
            errors.append(exc)

    workers = [threading.Thread(target=send, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert errors == []
    with instance.sessions() as session:
        rows = session.scalars(select(Submission).order_by(Submission.interaction_count)).all()
        source = session.get(Source, source_id)
        assert source is not None
        assert source.interaction_count == threads * rounds
        root: Path = instance.store.root / source.filesystem_id
    assert [row.interaction_count for row in rows] == list(range(1, threads * rounds + 1))
    sent = {reader_keys.decrypt(root / row.filename).decode() for row in rows}
    assert sent == {f"{w}/{r}" for w in range(threads) for r in range(rounds)}
