"""Invariant 1 through a real gunicorn: no plaintext byte reaches any file, whatever happens."""

from __future__ import annotations

import gzip
import secrets
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from sealdrop.config import Config, load_config
from sealdrop.db.engine import make_engine, make_sessionmaker
from sealdrop.db.models import Submission
from sealdrop.runtime.initialise import initialise
from tests.harness import FAST_KDF, ReaderKeys
from tests.server import RunningServer, serve_source
from tests.source_interface.http_source import FilePart, HttpSource

pytestmark = pytest.mark.server

MAX_UPLOAD = 8_000_000


@dataclass
class Served:
    server: RunningServer
    config: Config
    tmpdir: Path

    def scan_for(self, marker: bytes) -> list[Path]:
        """Every file under the data directory or the server's temp directory holding `marker`."""
        found = []
        for root in (self.config.data_dir, self.tmpdir):
            for path in root.rglob("*"):
                if path.is_file() and not path.is_symlink() and marker in path.read_bytes():
                    found.append(path)
        return found

    def stored(self) -> list[Path]:
        return sorted(self.config.store_dir.glob("*/*.gpg"))

    def staged(self) -> list[Path]:
        return sorted(self.config.store_dir.glob("*/.*.part"))

    def submission_rows(self) -> int:
        engine = make_engine(self.config.database_url)
        try:
            with make_sessionmaker(engine)() as session:
                return int(session.scalar(select(func.count()).select_from(Submission)) or 0)
        finally:
            engine.dispose()


@pytest.fixture(scope="module")
def served(reader_keys: ReaderKeys) -> Iterator[Served]:
    base = Path(tempfile.mkdtemp(prefix="sdu-"))
    tmpdir = base / "tmp"
    tmpdir.mkdir()
    env = {
        "SEALDROP_DATA_DIR": str(base / "data"),
        "SEALDROP_MIN_FREE_BYTES": "0",
        "SEALDROP_MAX_UPLOAD_BYTES": str(MAX_UPLOAD),
        "SEALDROP_SOURCE_UPLOADS_PER_SESSION": "4",  # the concurrency test sends four at once
        **FAST_KDF,
    }
    initialise(load_config(env), submission_key=reader_keys.public_key)
    try:
        with serve_source({**env, "TMPDIR": str(tmpdir)}, base) as server:
            yield Served(server, load_config(env), tmpdir)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def marker() -> bytes:
    return b"PLAINTEXT-MARKER-" + secrets.token_hex(8).encode()


def open_files_of(pids: list[int]) -> set[str]:
    """Regular files the workers hold open right now (sockets, pipes and anon inodes left out)."""
    held = set()
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = str(fd.readlink())
            except OSError:
                continue
            if target.startswith("/"):
                held.add(target)
    return held


def files_with_message(served: Served, reader: ReaderKeys, text: bytes) -> list[Path]:
    """All stored files of the source whose message decrypts to `text`, in interaction order."""
    for path in served.stored():
        if path.name.endswith("-msg.gpg") and reader.decrypt(path) == text:
            return sorted(path.parent.glob("*.gpg"), key=lambda p: int(p.name.split("-")[0]))
    raise AssertionError("no stored message decrypts to the text sent")


def test_message_and_file_are_stored_encrypted_only(
    served: Served, reader_keys: ReaderKeys
) -> None:
    source = HttpSource(served.server.port)
    source.create()
    text, fill = marker(), marker()
    part = FilePart("report.pdf", 3_000_000, fill)
    reply = source.upload(text.decode(), [part])
    assert reply is not None and reply.status == 302
    assert served.scan_for(text) == [] and served.scan_for(fill) == []
    message, document = files_with_message(served, reader_keys, text)
    assert message.name.startswith("1-") and message.name.endswith("-msg.gpg")
    assert document.name.startswith("2-") and document.name.endswith("-doc.gz.gpg")
    member = reader_keys.decrypt(document)
    assert gzip.decompress(member) == part.content()
    assert member[3] & 0x08 and member[10:].split(b"\0", 1)[0] == b"report.pdf"  # gzip FNAME


def test_a_chunked_upload_is_stored_encrypted_like_any_other(
    served: Served, reader_keys: ReaderKeys
) -> None:
    """No Content-Length, Transfer-Encoding: chunked: what a streaming client may send."""
    source = HttpSource(served.server.port)
    source.create()
    text, fill = marker(), marker()
    part = FilePart("chunked.bin", 1_000_000, fill)
    reply = source.upload(text.decode(), [part], chunked=True)
    assert reply is not None and reply.status == 302
    assert served.scan_for(text) == [] and served.scan_for(fill) == []
    _message, document = files_with_message(served, reader_keys, text)
    assert gzip.decompress(reader_keys.decrypt(document)) == part.content()


def test_workers_hold_no_plaintext_file_during_a_slow_upload(served: Served) -> None:
    source = HttpSource(served.server.port)
    source.create()
    fill = marker()
    held: set[str] = set()
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            held.update(open_files_of(served.server.worker_pids()))
            time.sleep(0.005)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        reply = source.upload("", [FilePart("big.bin", 6_000_000, fill)])
    finally:
        done.set()
        watcher.join()
    assert reply is not None and reply.status == 302
    data_dir = str(served.config.data_dir)
    log = str(served.server.log_path)  # the workers' stdout and stderr
    # The interpreter's own files are read-only installs, such as babel's locale data that a
    # worker reads at its first page, wherever the checkout lives (a CI clone may be in /tmp).
    installed = tuple({sys.prefix, sys.base_prefix})
    outside = {f for f in held if not f.startswith((data_dir, "/dev/", log, *installed))}
    suspicious = {
        f for f in outside if "(deleted)" in f or f.startswith(("/tmp", str(served.tmpdir)))
    }
    assert suspicious == set()
    assert served.scan_for(fill) == []


def test_oversize_upload_is_refused_with_413_and_nothing_stored(served: Served) -> None:
    source = HttpSource(served.server.port)
    source.create()
    before = (served.stored(), served.submission_rows())
    fill = marker()
    reply = source.upload(
        "hello", [FilePart("huge.bin", MAX_UPLOAD + 2_000_000, fill)], pause_after=64 * 1024
    )
    assert reply is not None and reply.status == 413
    assert "larger than this service accepts" in reply.body
    assert (served.stored(), served.submission_rows()) == before
    assert served.scan_for(fill) == []


def test_files_over_the_limit_are_stopped_while_streaming(served: Served) -> None:
    """Within the body allowance (which leaves room for the message) but over the file limit."""
    source = HttpSource(served.server.port)
    source.create()
    before = (served.stored(), served.submission_rows())
    fills = [marker(), marker()]
    parts = [
        FilePart("a.bin", MAX_UPLOAD // 2, fills[0]),
        FilePart("b.bin", MAX_UPLOAD // 2 + 10, fills[1]),
    ]
    reply = source.upload("two files", parts)
    assert reply is not None and reply.status == 413
    assert "larger than this service accepts" in reply.body
    assert served.staged() == []
    assert (served.stored(), served.submission_rows()) == before
    assert served.scan_for(fills[0]) == [] and served.scan_for(fills[1]) == []


def test_upload_cut_off_mid_stream_leaves_nothing_behind(served: Served) -> None:
    source = HttpSource(served.server.port)
    source.create()
    before = (served.stored(), served.submission_rows())
    before_folders = {path.name for path in served.config.store_dir.iterdir() if path.is_dir()}
    fill = marker()
    assert (
        source.upload("cut", [FilePart("cut.bin", 4_000_000, fill)], hang_up_after=2_000_000)
        is None
    )
    deadline = time.monotonic() + 20
    while served.staged() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert served.staged() == []
    assert (served.stored(), served.submission_rows()) == before
    assert served.scan_for(fill) == []
    # A codename that never submitted: not even a folder says it once tried to.
    folders = {path.name for path in served.config.store_dir.iterdir() if path.is_dir()}
    assert folders <= {".staging"} | {name for name in before_folders}
    page = source.request("GET", "/lookup")
    assert page.status == 200, "the source's session survives a broken upload"


def test_concurrent_uploads_get_distinct_numbers_and_leak_nothing(
    served: Served, reader_keys: ReaderKeys
) -> None:
    source = HttpSource(served.server.port)
    source.create()
    fills = [marker() for _ in range(4)]
    results: list[int] = []

    def send(fill: bytes) -> None:
        reply = HttpSource(served.server.port)
        reply.cookie = source.cookie
        answer = reply.upload(fill.decode(), [FilePart("c.bin", 1_000_000, fill)])
        results.append(answer.status if answer else 0)

    threads = [threading.Thread(target=send, args=(fill,)) for fill in fills]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [302] * 4
    mine = files_with_message(served, reader_keys, fills[0])
    numbers = [int(p.name.split("-")[0]) for p in mine]
    assert numbers == list(range(1, 9)), "4 messages and 4 files, numbered 1..8 without a gap"
    kinds = sorted(p.name.rsplit("-", 1)[-1] for p in mine)
    assert kinds == ["doc.gz.gpg"] * 4 + ["msg.gpg"] * 4
    for fill in fills:
        assert served.scan_for(fill) == []
