"""A journalist's logged-in browser for the benches: urllib with cookies, the CSRF token of a
page, and requests whose bodies are read and thrown away."""

from __future__ import annotations

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from http import HTTPStatus

import pyotp
from newsroom_data import PASSPHRASE

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def logged_in_opener(base: str, secret: str) -> urllib.request.OpenerDirector:
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    with opener.open(f"{base}/login", timeout=30) as page:
        token = CSRF.search(page.read().decode())
    assert token, "no CSRF token on the login page"
    form = {
        "csrf_token": token.group(1),
        "username": "bench",
        "passphrase": PASSPHRASE,
        "code": pyotp.TOTP(secret).now(),
    }
    with opener.open(f"{base}/login", urllib.parse.urlencode(form).encode(), timeout=60) as done:
        if done.url != f"{base}/":
            raise SystemExit(f"login failed: landed on {done.url}")
    return opener


def fetch(
    opener: urllib.request.OpenerDirector,
    url: str,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> Callable[[], int]:
    """A request whose body is read in chunks and thrown away, as a client saving to disk."""

    def get() -> int:
        total = 0
        request = urllib.request.Request(url, data, headers=headers or {})  # noqa: S310 - loopback
        try:
            with opener.open(request, timeout=600) as response:
                while chunk := response.read(1 << 20):
                    total += len(chunk)
        except urllib.error.HTTPError as answer:
            if answer.code != HTTPStatus.NOT_MODIFIED:
                raise
        return total

    return get


def etag_of(opener: urllib.request.OpenerDirector, url: str, headers: dict[str, str]) -> str:
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - loopback
    with opener.open(request, timeout=600) as response:
        response.read()
        return str(response.headers["ETag"])


def csrf(opener: urllib.request.OpenerDirector, url: str) -> str:
    with opener.open(url, timeout=60) as page:
        token = CSRF.search(page.read().decode())
    assert token, f"no CSRF token on {url}"
    return token.group(1)
