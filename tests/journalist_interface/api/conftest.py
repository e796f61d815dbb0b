"""API fixtures: the journalist app on each database, an account with a token, a source."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask

from journalist_interface import create_app
from sealdrop.config import load_config
from sealdrop.db.models import Journalist, Submission
from sealdrop.runtime.initialise import initialise
from sealdrop.runtime.instance import Instance, open_instance
from sealdrop.services import journalist_auth
from tests.harness import ConfigFactory, ReaderKeys, source_with_a_message
from tests.journalist_interface.api.client import ApiClient, encrypt_reply
from tests.sealdrop.services.journalist_helpers import PASSPHRASE, add_journalist
from tests.server import serve_journalist

MESSAGE = "The documents are in the blue folder."


@pytest.fixture
def app(instance: Instance) -> Flask:
    return create_app(instance.config, instance=instance)


def issue(instance: Instance, journalist: Journalist, *, hours: int = 8) -> str:
    with instance.sessions() as session:
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        row = session.get(Journalist, journalist.id)
        assert row is not None
        token, _ = journalist_auth.issue_token(session, row, now=now, hours=hours)
        return token


@pytest.fixture
def dana(instance: Instance) -> Journalist:
    with instance.sessions() as session:
        journalist = add_journalist(session, instance.config, "dana")
        session.expunge(journalist)
        return journalist


@pytest.fixture
def api(app: Flask, instance: Instance, dana: Journalist) -> ApiClient:
    """Dana's client, already holding a token."""
    return ApiClient(app.test_client(), issue(instance, dana))


@pytest.fixture
def anonymous(app: Flask) -> ApiClient:
    return ApiClient(app.test_client())


@dataclass(frozen=True)
class Seeded:
    source_uuid: str
    message_uuid: str
    designation: str


@pytest.fixture
def seeded(instance: Instance, reader_keys: ReaderKeys) -> Seeded:
    """A source that sent one message, encrypted to the newsroom's key."""
    with instance.sessions() as session:
        login, record = source_with_a_message(
            instance, session, MESSAGE, recipients=[reader_keys.key]
        )
        message = session.get(Submission, record.id)
        assert message is not None
        return Seeded(login.source.uuid, message.uuid, login.source.journalist_designation)


@dataclass(frozen=True)
class LiveApi:
    """A journalist app under gunicorn, and what a client outside the project would hold."""

    base_url: str
    port: int
    username: str
    passphrase: str
    otp_secret: str
    encrypt: Callable[[str, list[str]], str]
    decrypt: Callable[[bytes], bytes]
    submission_public_key: str


@pytest.fixture
def live_api(
    make_config: ConfigFactory, reader_keys: ReaderKeys, tmp_path: Path
) -> Iterator[LiveApi]:
    """`sealdrop init`, an account and a source with one message, then `sealdrop serve
    journalist` on a free loopback port."""
    env = make_config.env()
    config = load_config(env)
    initialise(config, submission_key=reader_keys.public_key)
    inst = open_instance(make_config.reload(config))
    try:
        with inst.sessions() as session:
            journalist = add_journalist(session, inst.config, "dana")
            secret = journalist.otp_secret
            source_with_a_message(inst, session, MESSAGE, recipients=[reader_keys.key])
    finally:
        inst.close()

    def decrypt(data: bytes) -> bytes:
        path = tmp_path / "download.gpg"
        path.write_bytes(data)
        return reader_keys.decrypt(path)

    with serve_journalist(env, tmp_path) as server:
        yield LiveApi(
            base_url=server.url,
            port=server.port,
            username="dana",
            passphrase=PASSPHRASE,
            otp_secret=secret,
            encrypt=encrypt_reply,
            decrypt=decrypt,
            submission_public_key=reader_keys.public_key,
        )


def source_path(seeded: Seeded) -> str:
    return f"/api/v1/sources/{seeded.source_uuid}"


def send_reply(api: ApiClient, seeded: Seeded, reader_keys: ReaderKeys, **extra: str) -> dict:  # type: ignore[type-arg]
    source = api.json("GET", source_path(seeded))
    armored = encrypt_reply("We got it.", [source["key"]["public"], reader_keys.public_key])
    return api.json(  # type: ignore[no-any-return]
        "POST", f"{source_path(seeded)}/replies", {"reply": armored, **extra}, status=201
    )
