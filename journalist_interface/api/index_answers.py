"""The v2 index as it is sent, kept by each worker with the index generation it was read at.

The index names every source and item with its version: at 10,000 sources and 100,000 items,
reading and encoding it takes a good part of a second. Its ETag (the index's version) and its
body change only when the generation does, so after a change the first request of a worker
reads it once and every other client of that worker, up to date (304) or not (200), and every
login's sync hints, are answered from memory.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from flask import Flask, current_app
from flask.blueprints import BlueprintSetupState
from sqlalchemy.orm import Session

from journalist_interface.api.blueprint import bp
from sealdrop.services import versions

INDEX_CACHE = "sealdrop_v2_index_cache"


@dataclass(frozen=True)
class IndexAnswer:
    """The index's version (the ETag), its JSON body and how many records it names."""

    version: str
    body: bytes
    sources: int
    items: int


class IndexAnswers:
    """One per process: the last answer, with the generation it is right for."""

    def __init__(self) -> None:
        self._building = threading.Lock()
        self._answer = versions.GenerationCache[IndexAnswer]()

    def current(self, session: Session) -> IndexAnswer:
        known = self._answer.value_at(versions.generation(session))
        if known is not None:
            return known
        # One read at a time: a request that waited for it usually finds the answer read.
        with self._building:
            return versions.at_generation(session, self._answer, lambda: _read(session))


def _read(session: Session) -> IndexAnswer:
    index = versions.index(session)
    return IndexAnswer(index.version, index.encoded, len(index.sources), len(index.items))


@bp.record_once
def _install(state: BlueprintSetupState) -> None:
    state.app.extensions[INDEX_CACHE] = IndexAnswers()


def current(session: Session) -> IndexAnswer:
    """This worker's answer for the index as `session` sees it."""
    answers: IndexAnswers = current_app.extensions[INDEX_CACHE]
    return answers.current(session)


def warm_up(app: Flask) -> None:
    """Read the index before any client asks: after a worker starts, every client needs it."""
    answers: IndexAnswers = app.extensions[INDEX_CACHE]
    with app.extensions["sealdrop_instance"].sessions() as session:
        answers.current(session)
