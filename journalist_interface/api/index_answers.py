"""The v2 index as it is sent, kept with the index generation it was read at.

The index names every source and item with its version: at 10,000 sources and 100,000 items,
reading and encoding it costs about a second. Its ETag (the index's version) and its body change
only when the generation does, so after a change the first request of a worker reads it once and
every other client of that worker, up to date (304) or not (200), is answered from memory.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass

from sqlalchemy.orm import Session

from sealdrop.services import versions


@dataclass(frozen=True)
class IndexAnswer:
    """The index's version (the ETag) and its JSON body."""

    version: str
    body: bytes


class IndexAnswers:
    """One per process: the last answer, with the generation it is right for."""

    def __init__(self) -> None:
        self._building = threading.Lock()
        self._answer = versions.GenerationCache[IndexAnswer]()

    def current(self, session: Session) -> IndexAnswer:
        known = self._answer.value_at(versions.generation(session))
        if known is not None:
            return known
        # One build at a time: a request that waited for it usually finds the answer built.
        with self._building:
            return versions.at_generation(session, self._answer, lambda: _read(session))


def _read(session: Session) -> IndexAnswer:
    current = versions.index(session)
    # Unsorted and compact: at 10,000 sources, sorting keys would cost more than the query.
    body = {"sources": current.sources, "items": current.items, "journalists": current.journalists}
    return IndexAnswer(current.version, json.dumps(body, separators=(",", ":")).encode("ascii"))
