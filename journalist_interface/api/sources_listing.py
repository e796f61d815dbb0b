"""The v1 sources list, rebuilt only where it changed.

Every field a v1 source shows is part of that source's version, so each source's JSON is kept
with the version it was built from, and the whole body with the index generation. After a change,
only the sources whose version moved are read and serialized again: at 10,000 sources that is one
narrow query and a join instead of reading every row and counting every item.
"""

from __future__ import annotations

import json
import threading

from sqlalchemy.orm import Session

from journalist_interface.api import serializers
from sealdrop.services import records, versions

# Past this many changed sources, one read of everything is cheaper than reading them by id.
READ_ALL_ABOVE = 2000


# One encoder for every entry: json.dumps would build a new one per call, 10,000 times.
_encode = json.JSONEncoder(separators=(",", ":")).encode


def _fragment(record: records.SourceRecord) -> bytes:
    return _encode(serializers.source(record)).encode("ascii")


class SourcesListing:
    """One per process: the last body, and each source's JSON keyed by uuid with its version
    (read and replaced only under the build lock)."""

    def __init__(self) -> None:
        self._building = threading.Lock()
        self._body = versions.GenerationCache[bytes]()
        self._fragments: dict[str, tuple[str, bytes]] = {}

    def body(self, session: Session) -> bytes:
        known = self._body.value_at(versions.generation(session))
        if known is not None:
            return known
        # One build at a time: a request that waited for it usually finds the body built.
        with self._building:
            return self._build(session)

    def _build(self, session: Session) -> bytes:
        before = versions.generation(session)
        known = self._body.value_at(before)
        if known is not None:
            return known
        order = records.source_versions(session)
        built = self._rebuild(session, order, dict(self._fragments))
        listed = [built[uuid] for _, uuid, _ in order if uuid in built]
        body = b'{"sources":[' + b",".join(fragment for _, fragment in listed) + b"]}\n"
        # A commit between the reads may have been half seen: serve this body, keep nothing.
        if versions.generation(session) == before:
            self._fragments = {uuid: built[uuid] for _, uuid, _ in order if uuid in built}
            self._body.remember(before, body)
        return body

    @staticmethod
    def _rebuild(
        session: Session,
        order: list[tuple[int, str, str | None]],
        kept: dict[str, tuple[str, bytes]],
    ) -> dict[str, tuple[str, bytes]]:
        """`kept` with the sources whose version moved (or was never computed) read again."""
        stale = [
            id_
            for id_, uuid, version in order
            if version is None or kept.get(uuid, ("",))[0] != version
        ]
        if not stale:
            return kept
        fresh = records.source_records(session, ids=None if len(stale) > READ_ALL_ABOVE else stale)
        for record in fresh:
            # Keyed by the version read in the same row as the facts, never the one read before.
            kept[record.source.uuid] = (record.source.version or "", _fragment(record))
        return kept
