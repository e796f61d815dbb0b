"""Accepting submissions: what is stored decrypts on the reader to what was sent, or nothing is."""

from __future__ import annotations

import gzip
import os

import pytest

from sealdrop.domain.designations import as_filename_part
from sealdrop.errors import EmptySubmission, EncryptionFailed, UploadInterrupted, UploadTooLarge
from sealdrop.runtime.instance import Instance
from sealdrop.services.submissions import accept, accept_message, open_upload
from sealdrop.services.uploads import UploadBudget
from tests.harness import TODAY, ReaderKeys, new_source
from tests.sealdrop.services.submission_helpers import (
    UNKNOWN,
    assert_nothing_stored,
    recipients,
    stored,
    upload,
)


def gzip_name(member: bytes) -> str:
    return member[10 : member.index(b"\x00", 10)].decode("utf-8")


def test_message_only(instance: Instance, reader_keys: ReaderKeys) -> None:
    message = "Bonjour — the files are in the shed.\n日本語も。"
    with instance.sessions() as session:
        _, login = new_source(instance, session)
        source = login.source

        records = accept(
            session,
            instance.store,
            instance.gpg,
            source=source,
            message=message,
            uploads=[],
            recipients=recipients(instance, session),
            today=TODAY,
        )

        name = f"1-{as_filename_part(source.journalist_designation)}-msg.gpg"
        assert [(r.filename, r.kind, r.interaction_count) for r in records] == [
            (name, "message", 1)
        ]
        path = instance.store.path_of(source.filesystem_id, name)
        assert records[0].size == path.stat().st_size
        assert stored(instance, source) == [name]
    assert path.stat().st_mode & 0o777 == 0o600
    assert message.encode() not in path.read_bytes()
    assert reader_keys.decrypt(path) == message.encode("utf-8")


def test_message_and_files(instance: Instance, reader_keys: ReaderKeys) -> None:
    big, small = os.urandom(1_500_000), b"meeting notes\n" * 100
    with instance.sessions() as session:
        _, login = new_source(instance, session)
        source, to = login.source, recipients(instance, session)
        files = [
            upload(instance, source, "leak.bin", big, to=to),
            upload(instance, source, "../../tmp/notes.txt", small, to=to),
        ]

        records = accept(
            session,
            instance.store,
            instance.gpg,
            source=source,
            message="see files",
            uploads=files,
            recipients=to,
            today=TODAY,
        )

        part = as_filename_part(source.journalist_designation)
        assert [r.filename for r in records] == [
            f"1-{part}-msg.gpg",
            f"2-{part}-doc.gz.gpg",
            f"3-{part}-doc.gz.gpg",
        ]
        assert [r.kind for r in records] == ["message", "file", "file"]
        paths = [instance.store.path_of(source.filesystem_id, r.filename) for r in records]
    assert reader_keys.decrypt(paths[0]) == b"see files"
    for path, data, name in ((paths[1], big, "leak.bin"), (paths[2], small, "notes.txt")):
        member = reader_keys.decrypt(path)
        assert gzip.decompress(member) == data
        assert gzip_name(member) == name


@pytest.mark.parametrize("message", ["", "  \n\t "])
def test_empty_submission_stores_nothing(instance: Instance, message: str) -> None:
    with instance.sessions() as session:
        _, login = new_source(instance, session)
        source, to = login.source, recipients(instance, session)
        source_id = source.id
        empty = upload(instance, source, "empty.txt", b"", to=to)
        assert empty.path is None  # no byte, so gpg never started

        with pytest.raises(EmptySubmission):
            accept(
                session,
                instance.store,
                instance.gpg,
                source=source,
                message=message,
                uploads=[empty],
                recipients=to,
                today=TODAY,
            )
    assert_nothing_stored(instance, source_id)


def test_empty_file_beside_a_message_is_ignored(instance: Instance) -> None:
    with instance.sessions() as session:
        _, login = new_source(instance, session)
        source, to = login.source, recipients(instance, session)
        records = accept(
            session,
            instance.store,
            instance.gpg,
            source=source,
            message="hi",
            uploads=[upload(instance, source, "e", b"", to=to)],
            recipients=to,
            today=TODAY,
        )
        assert [record.kind for record in records] == ["message"]


def test_aborted_upload_undoes_the_whole_submission(instance: Instance) -> None:
    with instance.sessions() as session:
        _, login = new_source(instance, session)
        source, to = login.source, recipients(instance, session)
        source_id = source.id
        good = upload(instance, source, "good.txt", b"good", to=to)
        broken = upload(instance, source, "cut.bin", os.urandom(300_000), to=to, finish=False)
        broken.discard()  # the connection dropped mid-part

        with pytest.raises(UploadInterrupted, match="interrupted"):
            accept(
                session,
                instance.store,
                instance.gpg,
                source=source,
                message="with files",
                uploads=[good, broken],
                recipients=to,
                today=TODAY,
            )
    assert_nothing_stored(instance, source_id)


def test_unknown_message_recipient_stores_nothing(instance: Instance) -> None:
    with instance.sessions() as session:
        _, login = new_source(instance, session)
        source, to = login.source, recipients(instance, session)
        source_id = source.id
        good = upload(instance, source, "good.txt", os.urandom(200_000), to=to)

        with pytest.raises(EncryptionFailed):
            accept(
                session,
                instance.store,
                instance.gpg,
                source=source,
                message="text",
                uploads=[good],
                recipients=[UNKNOWN],
                today=TODAY,
            )
    assert_nothing_stored(instance, source_id)


def test_failed_message_encryption_leaves_no_staged_file(instance: Instance) -> None:
    with instance.sessions() as session:
        _, login = new_source(instance, session)
        source_id = login.source.id

        with pytest.raises(EncryptionFailed):
            accept(
                session,
                instance.store,
                instance.gpg,
                source=login.source,
                message="text",
                uploads=[],
                recipients=[UNKNOWN],
                today=TODAY,
            )
    # stored() lists hidden names too: a staged `.part` left behind would show here.
    assert_nothing_stored(instance, source_id)


def test_upload_failing_at_its_start_stores_nothing(instance: Instance) -> None:
    with instance.sessions() as session:
        _, login = new_source(instance, session)
        source = login.source
        source_id = source.id

        with pytest.raises(EncryptionFailed):
            upload(instance, source, "x.txt", b"small", to=[UNKNOWN], finish=False)
    assert_nothing_stored(instance, source_id)


def test_a_message_then_a_streamed_file_count_up(
    instance: Instance, reader_keys: ReaderKeys
) -> None:
    data = os.urandom(3 * (1 << 20) + 17)
    with instance.sessions() as session:
        _, login = new_source(instance, session)
        source, to = login.source, recipients(instance, session)
        note = accept_message(
            session,
            instance.store,
            instance.gpg,
            source=source,
            text="note",
            recipients=to,
            today=TODAY,
        )
        [doc] = accept(
            session,
            instance.store,
            instance.gpg,
            source=source,
            message="",
            uploads=[upload(instance, source, "scan.png", data, to=to)],
            recipients=to,
            today=TODAY,
        )
        folder = instance.store.root / source.filesystem_id
        assert (note.interaction_count, doc.interaction_count) == (1, 2)
        assert reader_keys.decrypt(folder / note.filename) == b"note"
        member = reader_keys.decrypt(folder / doc.filename)
        assert gzip.decompress(member) == data and gzip_name(member) == "scan.png"


def test_a_file_over_its_budget_stores_nothing(instance: Instance) -> None:
    with instance.sessions() as session:
        _, login = new_source(instance, session)
        source, to = login.source, recipients(instance, session)
        source_id = source.id
        staged = open_upload(
            instance.store,
            instance.gpg,
            source=source,
            filename="big",
            recipients=to,
            budget=UploadBudget(4096),
        )
        with pytest.raises(UploadTooLarge):
            staged.write(b"x" * 5000)
        staged.close()
    assert_nothing_stored(instance, source_id)
