"""schemathesis against the OpenAPI document: a few generated requests per operation, with a
valid token, must never get a 500 and must get answers the document describes.

Marked slow (about 10 s of CPU, a tenth of the fast loop): `make test` runs it. The fast loop
keeps test_auth's check that every route is in the document and each endpoint's own tests.
The mark is the module's, so the fast loop does not even import it: building the generated
tests costs ~4 s of CPU per process at collection.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

import journalist_interface.api
from journalist_interface import create_app
from sealdrop.db.models import Journalist
from sealdrop.runtime.instance import Instance
from sealdrop.services import journalist_auth
from tests.harness import ConfigFactory, ReaderKeys, source_with_a_message
from tests.sealdrop.services.journalist_helpers import add_journalist

pytestmark = pytest.mark.slow

# The document as shipped (not as served, which test_auth compares with the routes); loaded at
# import because schemathesis's fixture loader does not run under this pytest.
DOCUMENT = Path(journalist_interface.api.__file__).with_name("openapi.json")
schema = schemathesis.openapi.from_path(DOCUMENT)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@dataclass(frozen=True)
class Target:
    app: Flask
    instance: Instance
    journalist_id: int


@pytest.fixture(scope="module")
def target(reader_keys: ReaderKeys) -> Iterator[Target]:
    """One SQLite instance for every operation: set up once, since setup costs far more than
    the few requests each operation gets. Generated uuids never name its source, so it stays."""
    base = Path(tempfile.mkdtemp(prefix="sdc-"))
    try:
        with ConfigFactory(base).instance(submission_key=reader_keys.public_key) as inst:
            with inst.sessions() as session:
                journalist_id = add_journalist(session, inst.config, "dana").id
                source_with_a_message(inst, session, "hello", recipients=[reader_keys.key])
            yield Target(create_app(inst.config, instance=inst), inst, journalist_id)
    finally:
        shutil.rmtree(base, ignore_errors=True)


@schema.parametrize()
@settings(
    max_examples=3,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure is reported as found
)
def test_the_api_conforms_to_its_document(case: schemathesis.Case[Any], target: Target) -> None:
    # A fresh token each time: a generated logout may have revoked the last one.
    with target.instance.sessions() as session:
        row = session.get(Journalist, target.journalist_id)
        assert row is not None
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        token, _ = journalist_auth.issue_token(session, row, now=now, hours=1)
    response = case.call(
        app=target.app, headers={"Authorization": f"Token {token}", "Host": "127.0.0.1"}
    )
    case.validate_response(response, checks=CHECKS)
