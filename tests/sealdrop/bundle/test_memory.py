"""Memory stays flat whatever an entry's size: a 300 MB item is streamed and read in chunks."""

from __future__ import annotations

import os
import tracemalloc
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from sealdrop.bundle.format import CHUNK_BYTES
from sealdrop.bundle.reader import open_bundle
from sealdrop.bundle.writer import BundleItem, stream_bundle
from sealdrop.domain.items import Kind
from tests.sealdrop.bundle.helpers import DAY, INSTANCE

LARGE = 300_000_000
# A few chunks in flight (the read, zipfile's copy, the joined output), never the entry.
ALLOWED_PEAK = 8 * CHUNK_BYTES


def sparse_item(directory: Path) -> BundleItem:
    """A 300 MB file of zeros with a random head: sparse, so it costs no disk and reads fast."""
    stored = directory / "large.gpg"
    with stored.open("wb") as handle:
        handle.write(os.urandom(4096))
        handle.truncate(LARGE)
    return BundleItem("amber heron", str(uuid.uuid4()), str(uuid.uuid4()), Kind.FILE, 1, stored)


def measured(chunks: Iterator[bytes], sink: Path | None) -> tuple[int, int]:
    """Bytes seen and the peak of Python allocations while they flowed."""
    tracemalloc.start()
    try:
        total = 0
        with (sink or Path(os.devnull)).open("wb") as out:
            for chunk in chunks:
                total += len(chunk)
                out.write(chunk)
        return total, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.slow
def test_a_large_entry_streams_and_reads_in_flat_memory(tmp_path: Path) -> None:
    item = sparse_item(tmp_path)
    bundle = tmp_path / "b.zip"
    written, write_peak = measured(stream_bundle([item], instance=INSTANCE, created=DAY), bundle)
    assert written == bundle.stat().st_size > LARGE
    assert write_peak < ALLOWED_PEAK, f"writer peak {write_peak:,} bytes"

    with open_bundle(bundle) as opened:
        [entry] = opened.entries
        assert entry.size == LARGE
        read, read_peak = measured(iter(opened.chunks(entry)), None)
    assert read == LARGE
    assert read_peak < ALLOWED_PEAK, f"reader peak {read_peak:,} bytes"
    print(f"peaks: writer {write_peak:,} bytes, reader {read_peak:,} bytes for {LARGE:,}")
