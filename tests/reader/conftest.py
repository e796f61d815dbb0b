"""Reader fixtures: the Submission Key made once a session, a reader machine and a newsroom."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sealdrop.runtime.instance import Instance
from tests.harness import ConfigFactory
from tests.reader.helpers import KeyTemplate, ReaderMachine, key_template, reader_machine


@pytest.fixture(scope="session")
def reader_key() -> Iterator[KeyTemplate]:
    with key_template() as template:
        yield template


@pytest.fixture
def reader(reader_key: KeyTemplate) -> Iterator[ReaderMachine]:
    with reader_machine(reader_key) as machine:
        yield machine


@pytest.fixture
def newsroom(make_config: ConfigFactory, reader_key: KeyTemplate) -> Iterator[Instance]:
    """A server instance (SQLite) whose Submission Key is the reader's public key."""
    with make_config.instance(submission_key=reader_key.public) as opened:
        yield opened
