"""Source interface fixtures: an app on an initialised SQLite instance, a client, actions; and
the tight real server the slow-client tests attack."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping

import pytest
from flask import Flask
from flask.testing import FlaskClient

from sealdrop.runtime.instance import Instance
from source_interface import create_app
from tests.harness import ConfigFactory, ReaderKeys
from tests.source_interface.actions import SiteFactory, SourceActions
from tests.source_interface.tight_server import Site, tight_site


@pytest.fixture
def source_instance(make_config: ConfigFactory, reader_keys: ReaderKeys) -> Iterator[Instance]:
    with make_config.instance(submission_key=reader_keys.public_key) as opened:
        yield opened


@pytest.fixture
def app(source_instance: Instance) -> Flask:
    return create_app(source_instance.config, instance=source_instance)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def source(client: FlaskClient) -> SourceActions:
    return SourceActions(client)


@pytest.fixture
def make_site(make_config: ConfigFactory, reader_keys: ReaderKeys) -> SiteFactory:
    """A source app on an instance of its own: `with make_site(extra={...}) as (source, inst)`."""

    @contextlib.contextmanager
    def site(
        *, extra: Mapping[str, str] | None = None, with_key: bool = True
    ) -> Iterator[tuple[SourceActions, Instance]]:
        key = reader_keys.public_key if with_key else None
        with make_config.instance(submission_key=key, extra=extra) as inst:
            yield SourceActions(create_app(inst.config, instance=inst).test_client()), inst

    return site


@pytest.fixture(scope="module")
def site(reader_keys: ReaderKeys) -> Iterator[Site]:
    """A real server with small caps and short deadlines (tight_server.py), one a module: the
    slow-client, upload and request-limit tests attack it."""
    with tight_site(reader_keys) as served:
        yield served
