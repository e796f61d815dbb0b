"""Journalist interface fixtures: an app on an initialised instance, accounts, actions."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from journalist_interface import create_app
from sealdrop.db.models import Journalist
from sealdrop.runtime.instance import Instance
from tests.harness import ConfigFactory, ReaderKeys
from tests.journalist_interface.actions import JournalistActions
from tests.sealdrop.services.journalist_helpers import add_journalist


@pytest.fixture
def source_instance(make_config: ConfigFactory, reader_keys: ReaderKeys) -> Iterator[Instance]:
    """An initialised SQLite instance with the newsroom's key (the source app may share it)."""
    with make_config.instance(submission_key=reader_keys.public_key) as opened:
        yield opened


@pytest.fixture
def newsroom(source_instance: Instance) -> Flask:
    return create_app(source_instance.config, instance=source_instance)


@pytest.fixture
def dana(source_instance: Instance) -> Journalist:
    with source_instance.sessions() as session:
        journalist = add_journalist(session, source_instance.config, "dana")
        session.expunge(journalist)
        return journalist


@pytest.fixture
def boss(source_instance: Instance) -> Journalist:
    with source_instance.sessions() as session:
        journalist = add_journalist(session, source_instance.config, "boss", admin=True)
        session.expunge(journalist)
        return journalist


@pytest.fixture
def journalist(newsroom: Flask) -> JournalistActions:
    return JournalistActions(newsroom.test_client())
