"""Source interface fixtures: an app on an initialised SQLite instance, a client, actions."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from sealdrop.services.instance import Instance, initialise, open_instance
from source_interface import create_app
from tests.harness import ConfigFactory, ReaderKeys
from tests.source_interface.actions import SourceActions


@pytest.fixture
def source_instance(make_config: ConfigFactory, reader_keys: ReaderKeys) -> Iterator[Instance]:
    config = make_config()
    initialise(config, submission_key=reader_keys.public_key)
    opened = open_instance(make_config.reload(config))
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def app(source_instance: Instance) -> Flask:
    return create_app(source_instance.config, instance=source_instance)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def source(client: FlaskClient) -> SourceActions:
    return SourceActions(client)
