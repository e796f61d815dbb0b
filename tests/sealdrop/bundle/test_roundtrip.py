"""A bundle streamed by the writer is a zip every tool accepts, and the reader gives it all back."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from sealdrop.bundle.format import FORMAT_VERSION, MANIFEST_NAME, ZIP_DATE_TIME
from sealdrop.bundle.reader import open_bundle
from sealdrop.bundle.writer import stream_bundle
from tests.sealdrop.bundle.helpers import DAY, INSTANCE, items_on_disk, write_bundle


def test_round_trip_several_sources_and_kinds(tmp_path: Path) -> None:
    items = items_on_disk(tmp_path)
    bundle = write_bundle(tmp_path / "b.zip", items)

    with open_bundle(bundle) as opened:
        bundle_sources = {(s.designation, s.uuid) for s in opened.manifest.sources}
        assert bundle_sources == {(i.source_designation, i.source_uuid) for i in items}
        assert opened.manifest.instance == INSTANCE
        assert opened.manifest.created == DAY
        got = [
            (e.path, e.kind, e.interaction, e.uuid, e.source.uuid, b"".join(opened.chunks(e)))
            for e in opened
        ]
        opened.verify()
    assert got == [
        (i.path, i.kind, i.interaction, i.item_uuid, i.source_uuid, i.stored.read_bytes())
        for i in items
    ]
    assert [path for path, *_ in got] == [
        "amber heron/1-amber-heron-msg.gpg",
        "amber heron/2-amber-heron-doc.gz.gpg",
        "amber heron/3-amber-heron-reply.gpg",
        "quiet otter/1-quiet-otter-msg.gpg",
    ]


def test_python_zipfile_and_unzip_accept_the_stream(tmp_path: Path) -> None:
    items = items_on_disk(tmp_path)
    bundle = write_bundle(tmp_path / "b.zip", items, chunk_bytes=4096)
    with zipfile.ZipFile(bundle) as archive:
        assert archive.testzip() is None
        assert archive.namelist() == [*(i.path for i in items), MANIFEST_NAME]
        assert all(info.compress_type == zipfile.ZIP_STORED for info in archive.infolist())
        for item in items:
            assert archive.read(item.path) == item.stored.read_bytes()
    if shutil.which("unzip") is None:
        pytest.skip("no unzip command on this machine; zipfile alone checked the archive")
    tested = subprocess.run(
        ["unzip", "-t", str(bundle)], check=False, capture_output=True, text=True
    )
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "No errors detected" in tested.stdout


def test_manifest_holds_days_and_entries_a_fixed_date(tmp_path: Path) -> None:
    items = items_on_disk(tmp_path)
    bundle = write_bundle(tmp_path / "b.zip", items)
    with zipfile.ZipFile(bundle) as archive:
        assert {info.date_time for info in archive.infolist()} == {ZIP_DATE_TIME}
        manifest = json.loads(archive.read(MANIFEST_NAME))
    assert manifest["created"] == "2024-05-01"
    assert manifest["version"] == FORMAT_VERSION
    # No value in the manifest looks like a time of day.
    assert not re.search(r"[0-9]{2}:[0-9]{2}|T[0-9]{2}", json.dumps(manifest))
    first = manifest["entries"][0]
    assert first["size"] == items[0].stored.stat().st_size
    assert first["sha256"] == hashlib.sha256(items[0].stored.read_bytes()).hexdigest()


def test_a_moment_is_refused_as_the_creation_date(tmp_path: Path) -> None:
    items = items_on_disk(tmp_path)
    with pytest.raises(ValueError, match="a day"):
        stream_bundle(items, instance=INSTANCE, created=dt.datetime(2024, 5, 1, 13, 7))


def test_the_same_input_gives_the_same_bytes(tmp_path: Path) -> None:
    items = items_on_disk(tmp_path)
    first = write_bundle(tmp_path / "a.zip", items).read_bytes()
    assert write_bundle(tmp_path / "b.zip", items, chunk_bytes=333).read_bytes() == first


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"source_designation": "Amber Heron"}, "not a designation"),
        ({"item_uuid": "not-a-uuid"}, "uuids"),
        ({"interaction": 0}, "start at 1"),
    ],
)
def test_the_writer_refuses_items_the_reader_would_refuse(
    tmp_path: Path, change: dict[str, object], message: str
) -> None:
    items = items_on_disk(tmp_path)
    bad = items[0].__class__(**{**items[0].__dict__, **change})
    with pytest.raises(ValueError, match=message):
        stream_bundle([bad, *items[1:]], instance=INSTANCE, created=DAY)


def test_the_writer_refuses_duplicates(tmp_path: Path) -> None:
    items = items_on_disk(tmp_path)
    with pytest.raises(ValueError, match="same path"):
        stream_bundle([*items, items[0]], instance=INSTANCE, created=DAY)


def test_an_empty_bundle_is_a_manifest_alone(tmp_path: Path) -> None:
    bundle = write_bundle(tmp_path / "b.zip", [])
    with open_bundle(bundle) as opened:
        assert opened.entries == ()
        assert opened.manifest.sources == ()
