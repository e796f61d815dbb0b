"""The upload sink: gpg starts at the first byte, nothing can be read back, leftovers are wiped."""

from __future__ import annotations

import contextlib
import dataclasses
import gzip
import io
import os
import shutil
import tempfile
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest

from sealdrop.crypto.gpg import Gpg
from sealdrop.crypto.scratch import DEFAULT_SCRATCH
from sealdrop.domain.keys import Fingerprint, PublicKey
from sealdrop.errors import EncryptionFailed, SubmissionsClosed, UploadTooLarge
from sealdrop.runtime.instance import Instance
from sealdrop.services.intake import require_space
from sealdrop.services.uploads import SPACE_CHECK_BYTES, StagedUpload, UploadBudget
from tests.harness import ReaderKeys

FILESYSTEM_ID = "a" * 52
# Uploads touch the store and gpg, never the database: one database kind is enough.
pytestmark = pytest.mark.parametrize("instance", ["sqlite"], indirect=True)


@pytest.fixture
def sink(instance: Instance, reader_keys: ReaderKeys) -> Iterator[StagedUpload]:
    upload = StagedUpload(
        instance.store,
        instance.gpg,
        filesystem_id=FILESYSTEM_ID,
        filename="a.txt",
        recipients=[reader_keys.key],
        budget=UploadBudget(1000),
    )
    yield upload
    upload.close()


def staged_files(instance: Instance) -> list[str]:
    return sorted(p.name for p in instance.store.staging.iterdir())


def test_empty_part_starts_nothing(instance: Instance, sink: StagedUpload) -> None:
    assert sink.write(b"") == 0
    sink.finish()
    assert (sink.is_empty, sink.path, sink.finished) == (True, None, True)
    assert staged_files(instance) == []


def test_bytes_are_staged_encrypted(
    instance: Instance, sink: StagedUpload, reader_keys: ReaderKeys
) -> None:
    sink.write(b"first ")
    sink.write(b"second")
    sink.finish()

    assert sink.plaintext_size == 12
    assert sink.path is not None
    assert sink.path.name.endswith(".part")
    assert sink.path.stat().st_mode & 0o777 == 0o600
    assert gzip.decompress(reader_keys.decrypt(sink.path)) == b"first second"


def test_nothing_can_be_read_back(sink: StagedUpload) -> None:
    sink.write(b"secret")
    with pytest.raises(io.UnsupportedOperation):
        sink.read()
    with pytest.raises(io.UnsupportedOperation):
        sink.read(10)


def test_no_writes_after_finish(sink: StagedUpload) -> None:
    sink.write(b"x")
    sink.finish()
    with pytest.raises(ValueError, match="already finished"):
        sink.write(b"late")


def test_unclaimed_upload_is_wiped_on_close(instance: Instance, sink: StagedUpload) -> None:
    sink.write(b"x" * 100)
    sink.finish()
    assert len(staged_files(instance)) == 1

    sink.close()
    sink.close()

    assert staged_files(instance) == []


def test_discard_mid_stream_stops_gpg_and_wipes(instance: Instance, sink: StagedUpload) -> None:
    sink.write(b"x" * 500)
    sink.discard()
    sink.discard()
    assert staged_files(instance) == []
    with pytest.raises(ValueError, match="already finished"):
        sink.write(b"more")


def test_budget_spans_every_file_of_a_request(instance: Instance, reader_keys: ReaderKeys) -> None:
    budget = UploadBudget(1000)
    first, second = (
        StagedUpload(
            instance.store,
            instance.gpg,
            filesystem_id=FILESYSTEM_ID,
            filename=name,
            recipients=[reader_keys.key],
            budget=budget,
        )
        for name in ("one", "two")
    )
    first.write(b"x" * 600)
    second.write(b"x" * 400)
    with pytest.raises(UploadTooLarge):
        second.write(b"x")
    for upload in (first, second):
        upload.close()
    assert staged_files(instance) == []


def test_unreadable_recipient_fails_at_the_first_byte(instance: Instance) -> None:
    upload = StagedUpload(
        instance.store,
        instance.gpg,
        filesystem_id=FILESYSTEM_ID,
        filename="x",
        recipients=[PublicKey(Fingerprint("0" * 40), "not a key")],
        budget=UploadBudget(10**9),
    )
    with pytest.raises(EncryptionFailed):
        upload.write(b"small")
    upload.close()
    assert staged_files(instance) == []


def gpg_children() -> list[str]:
    """The gpg processes this one started that are still there. Only gpg: in the whole suite
    this process also holds the session's tor network and browser driver."""
    found = []
    for entry in Path("/proc").iterdir():
        with contextlib.suppress(OSError):
            stat = (entry / "stat").read_text() if entry.name.isdigit() else ""
            name, _, rest = stat.partition(" (")[2].rpartition(") ")
            if name == "gpg" and int(rest.split()[1]) == os.getpid():
                found.append(stat)
    return found


@pytest.mark.parametrize("named", ["unknown", "another"])
def test_a_key_gpg_refuses_stops_a_large_upload_at_once(
    request: pytest.FixtureRequest,
    instance: Instance,
    reader_keys: ReaderKeys,
    second_reader_keys: ReaderKeys,
    named: str,
) -> None:
    # Good armor, so gpg starts and refuses the fingerprint it is given: the upload streaming
    # in must fail within the pipe's room, not block nor swallow the rest of the body.
    fingerprint = second_reader_keys.fingerprint if named == "another" else Fingerprint("0" * 40)
    scratch = Path(tempfile.mkdtemp(prefix="sdu-", dir=DEFAULT_SCRATCH))
    request.addfinalizer(lambda: shutil.rmtree(scratch, ignore_errors=True))
    upload = StagedUpload(
        instance.store,
        Gpg(scratch),
        filesystem_id=FILESYSTEM_ID,
        filename="big",
        recipients=[PublicKey(fingerprint, reader_keys.public_key)],
        budget=UploadBudget(10**12),
    )
    block, sent = os.urandom(1 << 20), list[int]()

    def send() -> None:
        while sum(sent) < 64 << 20:
            sent.append(upload.write(block))

    with pytest.raises(EncryptionFailed):
        send()
    assert sum(sent) <= 2 << 20
    assert gpg_children() == []
    upload.close()
    assert staged_files(instance) == []
    assert list(scratch.iterdir()) == []


def test_a_full_disk_stops_an_upload_midway(instance: Instance) -> None:
    full = dataclasses.replace(instance.config, min_free_bytes=10**18)
    budget = UploadBudget(10**12, check_space=partial(require_space, instance.store, config=full))
    budget.take(SPACE_CHECK_BYTES - 1)
    with pytest.raises(SubmissionsClosed):
        budget.take(1)
