"""What a request may hold before the app reads it: body sizes per route, form parts and fields,
the CSRF check ahead of the upload, and the cap on one session's concurrent uploads."""

from __future__ import annotations

import contextlib
import io
from typing import TYPE_CHECKING

import pytest
from flask import Flask
from flask.testing import FlaskClient

from sealdrop.runtime.instance import Instance
from sealdrop.serving.body import UploadsBusy
from source_interface.busy import KDF_REQUESTS, UploadSlots, kdf_gate, upload_slots
from tests.source_interface.actions import SessionCookie, SourceActions, submit_path

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer


class CountingStream(io.BytesIO):
    """A request body that remembers how much of it the app read."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.consumed = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.consumed += len(chunk)
        return chunk


def multipart(fields: list[tuple[str, str]], boundary: str = "B") -> bytes:
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields
    ]
    return ("".join(parts) + f"--{boundary}--\r\n").encode()


def stored_count(inst: Instance) -> int:
    return sum(1 for path in inst.store.root.rglob("*") if path.is_file())


def test_a_wrong_csrf_token_refuses_an_upload_before_reading_it(
    source: SourceActions, source_instance: Instance
) -> None:
    source.create()
    body = CountingStream(multipart([("message", "x" * 500_000)]))
    response = source.client.post(
        submit_path("not-a-token"),
        input_stream=body,
        content_type="multipart/form-data; boundary=B",
        content_length=len(body.getvalue()),
    )
    assert response.status_code == 400
    assert "form expired or was incomplete" in response.get_data(as_text=True)
    assert body.consumed == 0, "the body was read before the token was checked"
    assert stored_count(source_instance) == 0


def test_the_csrf_token_lives_as_long_as_the_session(app: Flask, source_instance: Instance) -> None:
    lifetime = app.config["WTF_CSRF_TIME_LIMIT"]
    assert lifetime >= source_instance.config.source.session_max_hours * 3600


def test_small_routes_refuse_a_large_body_before_reading_it(
    client: FlaskClient, source_instance: Instance
) -> None:
    body = CountingStream(
        b"codename=" + b"a" * (source_instance.config.source.serving.max_form_bytes + 1)
    )
    response = client.post(
        "/login",
        input_stream=body,
        content_type="application/x-www-form-urlencoded",
        content_length=len(body.getvalue()),
    )
    assert response.status_code == 413
    assert body.consumed == 0


def test_the_sum_of_text_fields_is_capped_though_each_is_small(
    source: SourceActions, source_instance: Instance
) -> None:
    source.create()
    field = source_instance.config.max_message_bytes // 2
    body = multipart([("message", "m" * field)] + [(f"x{n}", "y" * field) for n in range(4)])
    response = source.client.post(
        submit_path(source.csrf("/lookup")),
        data=body,
        content_type="multipart/form-data; boundary=B",
    )
    assert response.status_code == 413
    assert stored_count(source_instance) == 0


@pytest.mark.slow
def test_a_message_and_many_files_within_the_limits_still_arrive(
    source: SourceActions, source_instance: Instance
) -> None:
    source.create()
    files = [(b"file %d" % n, f"f{n}.txt") for n in range(40)]
    assert source.submit("hello", files).status_code == 302
    assert stored_count(source_instance) == 41


def test_one_session_cannot_hold_more_than_its_upload_slots(
    app: Flask, source: SourceActions, source_instance: Instance
) -> None:
    source.create()
    sid = SessionCookie(source_instance).read(source.client)["sid"]
    slots = upload_slots(app)
    with slots.hold(sid), slots.hold(sid):  # two uploads of this session still streaming
        busy = source.submit("a third at once")
        assert busy.status_code == 503
        assert busy.headers["Retry-After"].isdigit()
        assert "already sending files" in busy.get_data(as_text=True)
        other = SourceActions(app.test_client())
        other.create()
        assert other.submit("another source is not held back").status_code == 302
    assert source.submit("after the others ended").status_code == 302
    assert stored_count(source_instance) == 2


def test_upload_slots_are_given_back_when_the_upload_fails() -> None:
    slots = UploadSlots(per_session=1)
    with pytest.raises(RuntimeError), slots.hold("s"):
        raise RuntimeError("the upload broke")
    with slots.hold("s"):
        pass


def test_logins_beyond_the_kdf_gate_are_told_to_come_back_at_once(
    app: Flask, source: SourceActions
) -> None:
    """A flood of logins must not hold every thread: the requests that would wait get 503."""
    gate = kdf_gate(app)
    token = source.csrf("/login")
    with contextlib.ExitStack() as held:
        for _ in range(KDF_REQUESTS):
            held.enter_context(gate.hold())
        busy = source.client.post("/login", data={"codename": "x " * 7, "csrf_token": token})
        assert busy.status_code == 503
        assert busy.headers["Retry-After"].isdigit()
        assert "logging in right now" in busy.get_data(as_text=True)
        assert source.client.post("/create", data={"saved": "y", "csrf_token": token}).status_code
    assert source.client.get("/login").status_code == 200


class BusyStream(io.BytesIO):
    """A body the server has no upload slot for: its first read says so."""

    def read(self, size: int | None = -1) -> bytes:
        raise UploadsBusy("every upload slot is taken")

    def readinto(self, buffer: WriteableBuffer, /) -> int:  # what Werkzeug calls
        raise UploadsBusy("every upload slot is taken")


def test_an_upload_the_server_has_no_slot_for_is_answered_busy(
    source: SourceActions, source_instance: Instance
) -> None:
    source.create()
    body = BusyStream(multipart([("message", "hello")]))
    response = source.client.post(
        submit_path(source.csrf("/lookup")),
        input_stream=body,
        content_type="multipart/form-data; boundary=B",
        content_length=len(body.getvalue()),
    )
    assert response.status_code == 503
    assert response.headers["Retry-After"] == str(
        source_instance.config.source.serving.busy_retry_after_seconds
    )
    assert "Many people are sending files right now" in response.get_data(as_text=True)
    assert stored_count(source_instance) == 0
