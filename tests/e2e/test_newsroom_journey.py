"""The newsroom's side in Chromium with JavaScript off: a source writes, a journalist logs in with
passphrase and TOTP, downloads the bundle and replies, and the source reads the reply."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import Browser, Page

from sealdrop.bundle.reader import open_bundle
from sealdrop.config import load_config
from sealdrop.runtime.initialise import initialise
from sealdrop.runtime.instance import open_instance
from sealdrop.services import journalists
from sealdrop.services.journalists import Profile, TwoFactor
from tests.e2e.actions import JournalistBrowser, SourceBrowser
from tests.e2e.conftest import new_context
from tests.harness import ConfigFactory, ReaderKeys
from tests.server import RunningServer, serve_journalist, serve_source

pytestmark = pytest.mark.e2e

PASSPHRASE = "quartz meadow tulip anchor gravel pilot sonnet"


@dataclass(frozen=True)
class Newsroom:
    source: RunningServer
    journalist: RunningServer
    otp_secret: str


@pytest.fixture(scope="module")
def newsroom(
    reader_keys: ReaderKeys, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Newsroom]:
    """One instance served by both apps, each in its own gunicorn, with one journalist."""
    base = Path(tempfile.mkdtemp(prefix="sdn-"))
    try:
        env = ConfigFactory(base).env()
        initialise(load_config(env), submission_key=reader_keys.public_key)
        inst = open_instance(load_config(env))
        try:
            with inst.sessions() as session:
                dana = journalists.create(
                    session,
                    profile=Profile("dana", "Dana", "Scully"),
                    passphrase=PASSPHRASE,
                    second_factor=TwoFactor.new_totp(),
                    cost=journalists.argon2_cost(inst.config),
                    today=dt.date.today(),
                )
                session.commit()
                secret = dana.otp_secret
        finally:
            inst.close()
        logs = tmp_path_factory.mktemp("gunicorn")
        with serve_source(env, logs) as source, serve_journalist(env, logs) as journalist:
            yield Newsroom(source, journalist, secret)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_a_journalist_reads_the_bundle_and_the_source_reads_the_reply(
    page: Page, browser: Browser, newsroom: Newsroom, reader_keys: ReaderKeys, tmp_path: Path
) -> None:
    marker = f"SEALDROP-NEWSROOM-{uuid.uuid4().hex}"
    message = f"The minutes of the board meeting are forged. {marker}"
    reply_text = f"We would like to know more. {marker}"

    # Given a source who sent a message
    source = SourceBrowser(page, newsroom.source.url)
    codename = source.get_codename()
    source.confirm_codename_saved()
    source.submit(message, [])
    source.log_out()

    # When a journalist logs in with passphrase and a TOTP code, in a browser of their own
    context = new_context(browser, javascript=False)
    try:
        journalist = JournalistBrowser(context.new_page(), newsroom.journalist.url)
        journalist.log_in("dana", PASSPHRASE, pyotp.TOTP(newsroom.otp_secret).now())

        # Then they see the source, with one unread message
        rows = journalist.page.locator("table.sources tbody tr")
        assert rows.count() == 1
        assert "1 of 1" in rows.first.inner_text()
        designation = rows.first.locator("th a").inner_text()

        # When they open it and download the conversation
        journalist.open_source(designation)
        bundle_path = journalist.download_conversation(tmp_path)

        # Then the bundle is sound, and the reader's key opens the message outside the server
        bundle = open_bundle(bundle_path)
        bundle.verify()
        with zipfile.ZipFile(bundle_path) as archive:
            [entry] = [name for name in archive.namelist() if name.endswith("-msg.gpg")]
            (tmp_path / "message.gpg").write_bytes(archive.read(entry))
        assert marker.encode() in reader_keys.decrypt(tmp_path / "message.gpg")
        assert marker.encode() not in bundle_path.read_bytes()

        # When they reply
        journalist.reply(reply_text)
        assert any("Your reply was encrypted and stored" in f for f in journalist.flashes())
        assert journalist.page.locator("script").count() == 0
    finally:
        context.close()

    # Then the source, back with their codename, reads it
    source.log_in(codename)
    assert source.replies() == [reply_text]
