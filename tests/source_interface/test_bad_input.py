"""Hostile and mistaken input: a clear 4xx page, never a 500, and stored data untouched."""

from __future__ import annotations

import gzip
import io
import uuid
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from sealdrop.db.models import Source, Submission
from sealdrop.runtime.instance import Instance
from sealdrop.services.sources import delete_source
from source_interface import create_app
from source_interface.limits import MAX_SUBMISSION_PARTS
from tests.harness import ConfigFactory, ReaderKeys
from tests.source_interface.actions import SiteFactory, SourceActions, multipart, submit_path


def stored_files(inst: Instance) -> list[Path]:
    return sorted(p for p in inst.store.root.rglob("*") if p.is_file())


@pytest.mark.parametrize(
    ("typed", "status", "says"),
    [
        ("abacus " * 6, 400, "exactly seven words"),
        ("abacus " * 8, 400, "exactly seven words"),
        ("abacus abacus abacus abacus abacus abacus zzzzzz", 400, "not in the codename word list"),
        ("abacus abacus abacus abacus abacus abacus abacus", 403, "No source has that codename"),
        ("abacüs abacus abacus abacus abacus abacus abacus", 400, "not in the codename word list"),
        ("abacus\x00abacus abacus abacus abacus abacus abacus", 400, "seven words"),
        ("abacus " * 500, 400, ""),
        ("../../etc/passwd", 400, "seven words"),
    ],
)
def test_bad_codenames_get_a_clear_answer(
    client: FlaskClient, source: SourceActions, typed: str, status: int, says: str
) -> None:
    response = source.login(typed)
    assert response.status_code == status
    assert says in response.get_data(as_text=True)


def test_empty_submission_is_refused_and_nothing_stored(
    source: SourceActions, source_instance: Instance
) -> None:
    source.create()
    response = source.submit("   ", [(b"", "")])
    assert response.status_code == 400
    assert "Write a message or choose a file" in response.get_data(as_text=True)
    assert stored_files(source_instance) == []


def test_unicode_and_control_characters_survive_exactly(
    source: SourceActions, source_instance: Instance, reader_keys: ReaderKeys
) -> None:
    source.create()
    text = "Zeugin \u00e4\u00f6\u00fc \u4e2d\u6587 \U0001f600 tab\there\r\nbell\x07 rtl\u202e end"
    assert source.submit(text).status_code == 302
    [message] = stored_files(source_instance)
    assert (
        reader_keys.decrypt(message).decode("utf-8") == text.replace("\r\n", "\n")
        or reader_keys.decrypt(message).decode("utf-8") == text
    )


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd",
        "..\\..\\boot.ini",
        "a\x00b.txt",
        "/abs/path.pdf",
        "\u202egpj.exe",
        "." * 300,
    ],
)
def test_hostile_file_names_never_reach_the_file_system(
    source: SourceActions, source_instance: Instance, reader_keys: ReaderKeys, name: str
) -> None:
    source.create()
    assert source.submit("", [(b"content", name)]).status_code == 302
    [document] = stored_files(source_instance)
    assert document.parent.parent == source_instance.store.root
    assert document.name.endswith("-doc.gz.gpg")
    member = reader_keys.decrypt(document)
    assert gzip.decompress(member) == b"content"
    stored_name = member[10:].split(b"\0", 1)[0].decode()
    assert "/" not in stored_name and "\\" not in stored_name and ".." not in stored_name


@pytest.mark.parametrize(("message", "status"), [("with a stray part", 302), ("", 400)])
def test_a_file_under_another_field_name_is_not_stored(
    source: SourceActions,
    source_instance: Instance,
    reader_keys: ReaderKeys,
    message: str,
    status: int,
) -> None:
    source.create()
    body, content_type = multipart(
        [("message", message), ("not_files", (b"STRAY PART " * 100_000, "stray.txt"))]
    )
    response = source.client.post(
        submit_path(source.csrf("/lookup")), data=body, content_type=content_type
    )
    assert response.status_code == status
    # Only the message, if any: no document, and no staged .part of the stray file left behind.
    stored = stored_files(source_instance)
    assert [reader_keys.decrypt(path).decode() for path in stored] == ([message] if message else [])
    with source_instance.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Submission)) == len(stored)


def test_truncated_multipart_is_a_400_and_stores_nothing(
    source: SourceActions, source_instance: Instance
) -> None:
    source.create()
    token = source.csrf("/lookup")
    body = (
        b'--XyZ\r\nContent-Disposition: form-data; name="files"; filename="a.bin"\r\n\r\n'
    ) + b"secret bytes " * 50_000  # no closing boundary
    response = source.client.post(
        submit_path(token), data=body, content_type="multipart/form-data; boundary=XyZ"
    )
    assert response.status_code == 400
    assert "cut off before its end" in response.get_data(as_text=True)
    assert stored_files(source_instance) == []
    assert list(source_instance.store.root.rglob(".*.part")) == []


def test_body_over_the_limit_is_a_413_and_stores_nothing(make_site: SiteFactory) -> None:
    limits = {"SEALDROP_MAX_UPLOAD_BYTES": "1000", "SEALDROP_MAX_MESSAGE_BYTES": "1000"}
    with make_site(extra=limits) as (source, inst):
        source.create()
        response = source.submit("", [(b"x" * 200_000, "big.bin")])
        assert response.status_code == 413
        assert "larger than this service accepts" in response.get_data(as_text=True)
        assert stored_files(inst) == []


@pytest.mark.slow
def test_too_many_form_parts_are_a_413_and_store_nothing(
    source: SourceActions, source_instance: Instance
) -> None:
    """Each part costs a gpg process or memory: their number is capped (werkzeug allows 1000)."""
    source.create()
    files = [(b"x" * 100, f"f{n}.txt") for n in range(MAX_SUBMISSION_PARTS)]  # and the message
    response = source.submit("many", files)
    assert response.status_code == 413
    assert stored_files(source_instance) == []
    assert list(source_instance.store.root.rglob(".*.part")) == []


def test_a_message_over_the_form_limit_is_a_413(source: SourceActions) -> None:
    source.create()
    limit = source.client.application.config["MAX_FORM_MEMORY_SIZE"]
    assert source.submit("x" * (limit + 10)).status_code == 413


def test_wrong_content_type_and_wrong_method(source: SourceActions) -> None:
    source.create()
    response = source.client.post(submit_path(source.csrf("/lookup")), json={"message": "hi"})
    assert response.status_code == 415
    assert "with the form on this page" in response.get_data(as_text=True)
    assert source.client.get("/submit").status_code == 405
    assert "cannot be used this way" in source.client.get("/submit").get_data(as_text=True)
    assert source.client.delete("/login").status_code == 405


def test_unknown_or_foreign_reply_ids_are_404(source: SourceActions) -> None:
    source.create()
    for reply_id in (str(uuid.uuid4()), "../../x", "%00"):
        response = source.client.post(
            f"/replies/{reply_id}/delete", data={"csrf_token": source.csrf("/lookup")}
        )
        assert response.status_code == 404


def test_submitting_without_being_logged_in_redirects_to_login(client: FlaskClient) -> None:
    response = client.post("/submit", data={"message": "x"})
    assert response.status_code == 302 and response.headers["Location"] == "/login"


def test_unknown_language_is_ignored(client: FlaskClient) -> None:
    page = client.get("/?l=<script>").get_data(as_text=True)
    assert '<html lang="en">' in page and "<script>" not in page


def test_submissions_are_refused_without_a_submission_key(make_site: SiteFactory) -> None:
    with make_site(with_key=False) as (source, inst):
        source.create()
        response = source.submit("hello", [(b"file", "f.txt")])
        assert response.status_code == 503
        assert "not ready to take submissions" in response.get_data(as_text=True)
        assert stored_files(inst) == []
        assert source.client.get("/public-key").status_code == 404


def test_submissions_are_refused_when_the_disk_is_nearly_full(make_site: SiteFactory) -> None:
    with make_site(extra={"SEALDROP_MIN_FREE_BYTES": str(10**18)}) as (source, inst):
        source.create()
        response = source.submit("hello")
        assert response.status_code == 503
        assert "cannot take submissions right now" in response.get_data(as_text=True)
        assert stored_files(inst) == []


def test_a_huge_announced_body_is_413_even_when_submissions_are_paused(
    make_site: SiteFactory,
) -> None:
    """Too large is the answer that helps: waiting for the pause to end would not."""
    with make_site(extra={"SEALDROP_MIN_FREE_BYTES": str(10**18)}) as (source, inst):
        source.create()
        response = source.client.post(
            submit_path(source.csrf("/lookup")),
            data={"message": "hello"},
            content_type="multipart/form-data",
            environ_overrides={"CONTENT_LENGTH": str(10**12)},
        )
        assert response.status_code == 413
        assert "larger than this service accepts" in response.get_data(as_text=True)
        assert stored_files(inst) == []


def test_an_expired_submission_key_pauses_submissions_before_the_upload(
    make_config: ConfigFactory, expiring_key: str
) -> None:
    with make_config.instance(submission_key=expiring_key) as inst:
        source = SourceActions(create_app(inst.config, instance=inst).test_client())
        source.create()
        inst.gpg._clock = lambda: 4_000_000_000.0  # a day when no key made today is valid
        response = source.submit("hello", [(b"file", "f.txt")])
        page = response.get_data(as_text=True)
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "600"
        assert "Submissions are paused" in page and "cannot take submissions right now" in page
        assert "expired" not in page  # the reason is for the admin, not for sources
        assert stored_files(inst) == []


def test_a_file_part_named_like_the_message_is_no_message(
    source: SourceActions, source_instance: Instance
) -> None:
    """A hostile form puts a file where the text goes: a clear 400, not a 500, nothing stored."""
    source.create()
    data = {"message": (io.BytesIO(b"not a message"), "x.txt")}
    response = source.client.post(
        submit_path(source.csrf("/lookup")), data=data, content_type="multipart/form-data"
    )
    assert response.status_code == 400
    assert "Write a message or choose a file" in response.get_data(as_text=True)
    assert stored_files(source_instance) == []


def test_a_deleted_source_does_not_come_back_from_an_old_cookie(
    source: SourceActions, source_instance: Instance
) -> None:
    source.begin()  # the cookie of the first submission's answer
    cookie = source.client.get_cookie("sd_session")
    assert cookie is not None
    with source_instance.sessions() as session:
        [row] = session.scalars(select(Source)).all()
        delete_source(session, source_instance.store, source=row)
    replay = source.client.application.test_client()
    replay.set_cookie("sd_session", cookie.value)
    response = replay.get("/lookup")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    with source_instance.sessions() as session:
        assert session.scalars(select(Source)).all() == []
