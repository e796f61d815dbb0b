"""SourceActions: what a source does, through the Flask test client (like flaskr's AuthActions)."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from sealdrop.services.instance import Instance

CSRF_PATTERN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
CODENAME_PATTERN = re.compile(r'id="codename">([^<]+)<')


class SourceActions:
    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.codename = ""

    @staticmethod
    def csrf_from(response: TestResponse) -> str:
        match = CSRF_PATTERN.search(response.get_data(as_text=True))
        assert match, "the page has no CSRF token"
        return match.group(1)

    def csrf(self, path: str) -> str:
        return self.csrf_from(self.client.get(path))

    def create(self) -> str:
        """Get a codename, confirm it, and land on the lookup page; returns the codename."""
        page = self.client.get("/generate")
        match = CODENAME_PATTERN.search(page.get_data(as_text=True))
        assert match, "no codename on /generate"
        self.codename = match.group(1)
        response = self.client.post(
            "/create",
            data={"codename": self.codename, "saved": "y", "csrf_token": self.csrf_from(page)},
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        return self.codename

    def login(self, codename: str | None = None) -> TestResponse:
        return self.client.post(
            "/login",
            data={"codename": codename or self.codename, "csrf_token": self.csrf("/login")},
        )

    def logout(self) -> TestResponse:
        return self.client.post("/logout", data={"csrf_token": self.csrf("/lookup")})

    def submit(self, message: str = "", files: Sequence[tuple[bytes, str]] = ()) -> TestResponse:
        data: dict[str, object] = {"csrf_token": self.csrf("/lookup"), "msg": message}
        data["fh"] = [(io.BytesIO(content), name) for content, name in files]
        return self.client.post("/submit", data=data, content_type="multipart/form-data")

    def flashes(self) -> list[str]:
        page = self.client.get("/lookup").get_data(as_text=True)
        return re.findall(r'class="flash[^"]*">([^<]+)<', page)


# `with make_site(extra={...}) as (source, instance):` a source app on an instance of its own.
SiteFactory = Callable[..., AbstractContextManager[tuple[SourceActions, Instance]]]
