"""JournalistActions: what a journalist does, through the Flask test client."""

from __future__ import annotations

import re
from collections.abc import Mapping

import pyotp
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from sealdrop.db.models import Journalist
from tests.sealdrop.services.journalist_helpers import PASSPHRASE

CSRF_PATTERN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
FLASH_PATTERN = re.compile(r'class="flash[^"]*">([^<]+)<')
HOST = {"Host": "127.0.0.1"}


class JournalistActions:
    def __init__(self, client: FlaskClient, *, host: str = HOST["Host"]) -> None:
        self.client = client
        self.headers = {"Host": host}
        self._last_step_at = 1_800_000_000.0

    def get(self, path: str) -> TestResponse:
        return self.client.get(path, headers=self.headers)

    def csrf(self, path: str) -> str:
        match = CSRF_PATTERN.search(self.get(path).get_data(as_text=True))
        assert match, f"{path} has no CSRF token"
        return match.group(1)

    def post(
        self, path: str, data: Mapping[str, str], *, form_from: str | None = None
    ) -> TestResponse:
        token = self.csrf(form_from or path)
        return self.client.post(path, data={"csrf_token": token, **data}, headers=self.headers)

    def current_code(self, journalist: Journalist) -> str:
        return pyotp.TOTP(journalist.otp_secret).now()

    def login(
        self,
        journalist: Journalist,
        *,
        passphrase: str = PASSPHRASE,
        code: str | None = None,
    ) -> TestResponse:
        typed_code = self.current_code(journalist) if code is None else code
        return self.post(
            "/login",
            {"username": journalist.username, "passphrase": passphrase, "code": typed_code},
        )

    def logout(self) -> TestResponse:
        return self.post("/logout", {}, form_from="/")


def flashes(response: TestResponse) -> list[str]:
    return FLASH_PATTERN.findall(response.get_data(as_text=True))
