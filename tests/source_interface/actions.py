"""SourceActions: what a source does, through the Flask test client (like flaskr's AuthActions)."""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any, cast
from urllib.parse import urlencode

from cryptography.fernet import Fernet
from flask.json.tag import TaggedJSONSerializer
from flask.testing import FlaskClient
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import TestResponse, encode_multipart

from sealdrop.runtime.instance import Instance
from source_interface.cookies import derive_key

CSRF_PATTERN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
CODENAME_PATTERN = re.compile(r'id="codename">([^<]+)<')
PAGE_PATTERN = re.compile(r'name="page" type="hidden" value="([^"]+)"')
FLASH_PATTERN = re.compile(r'class="flash[^"]*">([^<]+)<')


class SourceActions:
    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.codename = ""

    @staticmethod
    def csrf_from(response: TestResponse) -> str:
        match = CSRF_PATTERN.search(response.get_data(as_text=True))
        assert match, "the page has no CSRF token"
        return match.group(1)

    @staticmethod
    def codename_from(response: TestResponse) -> str:
        match = CODENAME_PATTERN.search(response.get_data(as_text=True))
        assert match, "the page shows no codename"
        return match.group(1)

    def csrf(self, path: str) -> str:
        return self.csrf_from(self.client.get(path))

    @staticmethod
    def page_id_from(response: TestResponse) -> str:
        match = PAGE_PATTERN.search(response.get_data(as_text=True))
        assert match, "the codename page has no page id"
        return match.group(1)

    def confirm(self, page: TestResponse, **extra: str) -> TestResponse:
        """Tick "saved" on a /generate page and send it; the form carries the page's id only."""
        data = {
            "saved": "y",
            "csrf_token": self.csrf_from(page),
            "page": self.page_id_from(page),
            **extra,
        }
        return self.client.post("/create", data=data)

    def create(self) -> str:
        """Get a codename, confirm it, and land on the lookup page; returns the codename."""
        page = self.client.get("/generate")
        self.codename = self.codename_from(page)
        response = self.confirm(page)
        assert response.status_code == 302, response.get_data(as_text=True)
        assert response.headers["Location"] == "/lookup"
        return self.codename

    def begin(self, message: str = "first message") -> str:
        """create(), then a first submission, which makes the source's row; returns the codename."""
        codename = self.create()
        response = self.submit(message)
        assert response.status_code == 302, response.get_data(as_text=True)
        return codename

    def login(self, codename: str | None = None) -> TestResponse:
        return self.client.post(
            "/login",
            data={"codename": codename or self.codename, "csrf_token": self.csrf("/login")},
        )

    def logout(self) -> TestResponse:
        return self.client.post("/logout", data={"csrf_token": self.csrf("/lookup")})

    def submit(self, message: str = "", files: Sequence[tuple[bytes, str]] = ()) -> TestResponse:
        """Send the lookup page's form; its CSRF token is in the form's address, as on the page."""
        body, content_type = multipart([("message", message), *(("files", file) for file in files)])
        return self.client.post(
            submit_path(self.csrf("/lookup")), data=body, content_type=content_type
        )

    def flashes(self) -> list[str]:
        return flashes_on(self.client.get("/lookup"))


def multipart(fields: Sequence[tuple[str, str | tuple[bytes, str]]]) -> tuple[bytes, str]:
    """A multipart/form-data body built in memory, and its content type; each field's value is a
    text, or a file's (content, name). Given a dict instead, Werkzeug's test client spools a body
    over 500 KB to a temporary file that it closes only when it follows redirects."""
    parts: MultiDict[str, str | FileStorage] = MultiDict()
    for name, value in fields:
        if isinstance(value, str):
            parts.add(name, value)
        else:
            parts.add(name, FileStorage(io.BytesIO(value[0]), filename=value[1], name=name))
    boundary, body = encode_multipart(parts)
    return body, f"multipart/form-data; boundary={boundary}"


def submit_path(token: str) -> str:
    """Where the submission form posts: the server checks this token before reading the body."""
    return "/submit?" + urlencode({"csrf_token": token})


def page(response: TestResponse) -> str:
    return response.get_data(as_text=True)


def html_lang(response: TestResponse) -> str:
    """The language a page says it is in."""
    match = re.search(r'<html lang="([^"]+)">', page(response))
    assert match, "the page has no <html lang>"
    return match.group(1)


def flashes_on(response: TestResponse) -> list[str]:
    return FLASH_PATTERN.findall(response.get_data(as_text=True))


class SessionCookie:
    """The source session cookie opened and resealed with the instance's key, to forge one."""

    NAME = "sd_session"

    def __init__(self, inst: Instance) -> None:
        key = derive_key(inst.config.require_secrets().source_session_key, "source session cookie")
        self.fernet = Fernet(base64.urlsafe_b64encode(key))
        self._json = TaggedJSONSerializer()

    def read(self, client: FlaskClient) -> dict[str, Any]:
        cookie = client.get_cookie(self.NAME)
        assert cookie is not None, "no session cookie"
        plain = self.fernet.decrypt(cookie.value.encode()).decode()
        return cast(dict[str, Any], self._json.loads(plain))

    def write(self, client: FlaskClient, content: dict[str, Any], *, sealed_at: int) -> None:
        """Set a cookie holding `content`, as if the server had sealed it at `sealed_at`."""
        token = self.fernet.encrypt_at_time(self._json.dumps(content).encode(), sealed_at)
        client.set_cookie(self.NAME, token.decode())


# `with make_site(extra={...}) as (source, instance):` a source app on an instance of its own.
SiteFactory = Callable[..., AbstractContextManager[tuple[SourceActions, Instance]]]
