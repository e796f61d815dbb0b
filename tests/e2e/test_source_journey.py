"""A source's visit in Chromium with JavaScript off, against gunicorn, checked at the store."""

from __future__ import annotations

import datetime as dt
import gzip
import os
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Page
from sqlalchemy import select

from sealdrop.db.models import Source
from sealdrop.runtime.instance import open_instance
from sealdrop.services.intake import usable_reader_keys
from sealdrop.services.replies import create_reply
from tests.e2e.actions import SourceBrowser
from tests.e2e.conftest import SourceSite
from tests.harness import ReaderKeys

pytestmark = pytest.mark.e2e

THANKS = (
    "Thank you. Your submission was encrypted and stored. Come back later to check for replies."
)
UPLOAD_BYTES = 200 * 1024


def make_upload(directory: Path, marker: str) -> tuple[Path, bytes]:
    """A ~200 KB file that gzip cannot shrink much, tagged so it cannot be confused with another."""
    content = f"{marker}\n".encode() + os.urandom(UPLOAD_BYTES) + f"\n{marker}\n".encode()
    path = directory / f"leaked-memo-{marker[-8:]}.bin"
    path.write_bytes(content)
    return path, content


def reply_through_service(site: SourceSite, text: str) -> None:
    """What the journalist interface will do: encrypt a reply to the only source and store it."""
    inst = open_instance(site.config())
    try:
        with inst.sessions() as session:
            source = session.scalars(select(Source)).one()
            create_reply(
                session,
                inst.store,
                inst.gpg,
                source=source,
                text=text,
                readers=usable_reader_keys(session, inst.gpg),
                today=dt.date.today(),
            )
    finally:
        inst.close()


def stored_by_kind(site: SourceSite) -> dict[str, Path]:
    """The one source's stored files, keyed by kind (msg, doc.gz, reply); one of each expected."""
    store = site.config().store_dir
    assert list((store / ".staging").iterdir()) == [], "nothing left half-written"
    source_dirs = [d for d in store.iterdir() if d.is_dir() and d.name != ".staging"]
    assert len(source_dirs) == 1, f"expected one source directory, found {source_dirs}"
    files = sorted(p for p in source_dirs[0].iterdir() if p.is_file())
    by_kind = {p.name.split("-")[-1].removesuffix(".gpg"): p for p in files}
    assert len(by_kind) == len(files), f"two files of one kind: {[p.name for p in files]}"
    assert sorted(by_kind) == ["doc.gz", "msg", "reply"], [p.name for p in files]
    return by_kind


def gzip_member_name(member: bytes) -> str:
    """FNAME per RFC 1952: flag 0x08 in byte 3, a NUL-terminated name from byte 10."""
    assert member[:3] == b"\x1f\x8b\x08", "not a gzip member"
    assert member[3] & 0x08, "the gzip header carries no file name"
    return member[10 : member.index(b"\x00", 10)].decode("utf-8")


def assert_no_script_could_run(source: SourceBrowser, page: Page) -> None:
    assert page.locator("script").count() == 0
    html = [
        seen
        for seen in source.responses
        if seen.content_type.startswith("text/html") and seen.status == 200
    ]
    assert len(html) >= 6, f"too few pages recorded to prove anything: {len(html)}"
    assert any(seen.url.endswith("/static/style.css") for seen in source.responses)
    for seen in html:
        assert b"</html>" in seen.body.lower(), f"{seen.url}: body not recorded"
        assert b"<script" not in seen.body.lower(), f"{seen.url} ships a <script> element"
    for seen in source.responses:
        assert seen.csp, f"{seen.url} ({seen.status}) came without Content-Security-Policy"
        assert "default-src 'none'" in seen.csp, f"{seen.url}: {seen.csp}"
        assert "script-src" not in seen.csp, f"{seen.url} allows some script: {seen.csp}"


def test_source_submits_reads_a_reply_and_deletes_it(
    page: Page, source_site: SourceSite, reader_keys: ReaderKeys, tmp_path: Path
) -> None:
    source = SourceBrowser(page, source_site.url)
    marker = f"SEALDROP-E2E-{uuid.uuid4().hex}"
    message = f"Les comptes de 2023 sont faux — voir le fichier joint.\n{marker}"
    upload, upload_content = make_upload(tmp_path, marker)
    reply_text = f"Thank you, we are looking into it. Reply {marker}"

    # Given a first-time source with JavaScript disabled, who takes a codename and keeps it
    codename = source.get_codename()
    sent = source.confirm_codename_saved()
    assert any(flash.startswith("Welcome.") for flash in source.flashes())
    # (the server kept the codename: the form sent back its token, the tick and the page's id)
    assert sorted(sent) == ["csrf_token", "page", "saved"], sent
    assert codename not in str(sent)

    # When they send a message and a file in one submission
    source.submit(message, [upload])

    # Then they are thanked, and can leave
    assert source.flashes() == [THANKS]
    source.log_out()

    # Given they come back later with their codename, and a journalist has replied meanwhile
    source.log_in(codename)
    assert source.replies() == []
    reply_through_service(source_site, reply_text)

    # When they reload the page, then they read the reply
    page.reload()
    assert source.replies() == [reply_text]

    # When they delete it, then it is gone from their page
    source.delete_reply()
    assert source.flashes() == ["Reply deleted."]
    assert source.replies() == []
    assert reply_text not in page.content()

    # And no script could have run on any page they saw
    assert_no_script_could_run(source, page)

    # And outside the server, the newsroom's reader decrypts exactly what was sent
    stored = stored_by_kind(source_site)
    # HTML form submission sends a textarea's line breaks as CRLF; that is what the source sent.
    assert reader_keys.decrypt(stored["msg"]).decode("utf-8") == message.replace("\n", "\r\n")
    member = reader_keys.decrypt(stored["doc.gz"])
    assert gzip_member_name(member) == upload.name
    assert gzip.decompress(member) == upload_content
    assert reader_keys.decrypt(stored["reply"]).decode("utf-8") == reply_text
