"""Headers, cookies, CSRF, session expiry, the onion Host check, and what is (not) logged."""

from __future__ import annotations

import base64
import logging
import time

import pytest
from flask.testing import FlaskClient

from sealdrop.runtime.instance import Instance
from tests.source_interface.actions import (
    SessionCookie,
    SiteFactory,
    SourceActions,
    submit_path,
)

PAGES = ["/", "/generate", "/login", "/why-public-key", "/nope", "/metadata"]


@pytest.mark.parametrize("path", PAGES)
def test_every_response_carries_strict_headers(client: FlaskClient, path: str) -> None:
    headers = client.get(path).headers
    csp = headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert headers["Cross-Origin-Resource-Policy"] == "same-origin"
    assert "no-store" in headers["Cache-Control"]


def test_pages_load_nothing_from_elsewhere_and_run_no_script(client: FlaskClient) -> None:
    for path in ["/", "/generate", "/login", "/why-public-key"]:
        page = client.get(path).get_data(as_text=True)
        assert "<script" not in page.lower()
        assert "http://" not in page and "https://" not in page and 'src="//' not in page


def test_session_cookie_is_httponly_samesite_strict_and_not_persistent(
    source: SourceActions,
) -> None:
    source.create()
    cookie = source.client.get_cookie("sd_session")
    assert cookie is not None
    assert cookie.http_only and cookie.same_site == "Strict"
    assert cookie.expires is None, "a browser-session cookie, never written to disk as persistent"


def test_session_cookie_is_encrypted_not_just_signed(
    source: SourceActions, source_instance: Instance
) -> None:
    source.create()
    cookie = source.client.get_cookie("sd_session")
    assert cookie is not None
    assert b"reply_passphrase" not in base64.urlsafe_b64decode(cookie.value + "==")
    assert "reply_passphrase" in SessionCookie(source_instance).read(source.client)


def test_each_login_gets_a_random_session_id_and_its_start_time(
    source: SourceActions, source_instance: Instance
) -> None:
    cookies = SessionCookie(source_instance)
    codename = source.begin()
    first = cookies.read(source.client)
    source.logout()
    source.login(codename)
    second = cookies.read(source.client)
    assert len(first["sid"]) >= 32 and first["sid"] != second["sid"]
    for content in (first, second):
        assert abs(content["since"] - time.time()) < 60, "since is the login's epoch time"


def test_an_idle_session_expires(source: SourceActions, source_instance: Instance) -> None:
    cookies = SessionCookie(source_instance)
    source.create()
    idle = source_instance.config.source.session_minutes * 60 + 60
    cookies.write(source.client, cookies.read(source.client), sealed_at=int(time.time()) - idle)
    response = source.client.get("/lookup")
    assert response.status_code == 302 and response.headers["Location"] == "/login"


def test_a_session_older_than_its_maximum_is_refused_though_active(
    source: SourceActions, source_instance: Instance
) -> None:
    cookies = SessionCookie(source_instance)
    source.create()
    content = cookies.read(source.client)
    max_age = source_instance.config.source.session_max_hours * 3600
    # Just inside the maximum, resealed now (as each request does): still logged in.
    cookies.write(
        source.client,
        {**content, "since": int(time.time()) - max_age + 120},
        sealed_at=int(time.time()),
    )
    assert source.client.get("/lookup").status_code == 200
    cookies.write(
        source.client,
        {**content, "since": int(time.time()) - max_age - 60},
        sealed_at=int(time.time()),
    )
    response = source.client.get("/lookup")
    assert response.status_code == 302 and response.headers["Location"] == "/login"


def test_logging_out_revokes_every_copy_of_the_cookie(source: SourceActions) -> None:
    source.create()
    cookie = source.client.get_cookie("sd_session")
    assert cookie is not None
    copy = source.client.application.test_client()  # say, a second tab or a stolen cookie
    copy.set_cookie("sd_session", cookie.value)
    assert copy.get("/lookup").status_code == 200
    source.logout()
    response = copy.get("/lookup")
    assert response.status_code == 302 and response.headers["Location"] == "/login"


def test_sessions_last_as_long_on_a_server_east_of_utc(
    source: SourceActions, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "Asia/Tokyo")  # UTC+9, more than session_max_hours' default of 8
    time.tzset()
    try:
        source.create()
        assert source.client.get("/lookup").status_code == 200
    finally:
        monkeypatch.undo()
        time.tzset()


@pytest.mark.parametrize("path", ["/login", "/create", "/submit", "/logout", "/replies/delete-all"])
def test_posts_without_csrf_token_are_refused(source: SourceActions, path: str) -> None:
    source.create()
    response = source.client.post(path, data={"codename": "x", "message": "hello"})
    assert response.status_code == 400
    assert "form expired or was incomplete" in response.get_data(as_text=True)


def test_production_mode_refuses_other_hosts(make_site: SiteFactory) -> None:
    onion = "a" * 56 + ".onion"
    with make_site(extra={"SEALDROP_SOURCE_ONION": onion}) as (source, _):
        client = source.client
        assert client.get("/", headers={"Host": onion}).status_code == 200
        refused = client.get("/", headers={"Host": "127.0.0.1:8080"})
        assert refused.status_code == 421
        assert "only at its onion address" in refused.get_data(as_text=True)


@pytest.mark.parametrize("host", ["news.example", "evil.example:80", "10.0.0.1", ""])
def test_without_an_onion_only_loopback_names_are_served(client: FlaskClient, host: str) -> None:
    """A proxy forwarding a clearnet name by mistake is refused even before an onion is set."""
    assert client.get("/", headers={"Host": "127.0.0.1:8080"}).status_code == 200
    assert client.get("/", headers={"Host": "[::1]:8080"}).status_code == 200
    refused = client.get("/", headers={"Host": host})
    assert refused.status_code == 421
    assert "only at its onion address" in refused.get_data(as_text=True)


def test_the_host_check_runs_before_the_body_is_read(source: SourceActions) -> None:
    source.create()
    body = b"--B\r\n" + b"x" * 10_000_000  # far over every limit: reading it would say 413
    refused = source.client.post(
        submit_path(source.csrf("/lookup")),
        data=body,
        headers={"Host": "news.example"},
        content_type="multipart/form-data; boundary=B",
    )
    assert refused.status_code == 421


def test_options_is_refused_and_robots_are_told_to_stay_away(client: FlaskClient) -> None:
    assert client.options("/").status_code == 405
    assert client.options("/submit").status_code == 405
    robots = client.get("/robots.txt")
    assert robots.status_code == 200
    assert robots.get_data(as_text=True) == "User-agent: *\nDisallow: /\n"
    landing = client.get("/")
    assert landing.headers["X-Robots-Tag"] == "noindex, nofollow, noarchive"
    assert '<meta name="robots" content="noindex, nofollow, noarchive">' in landing.get_data(
        as_text=True
    )


def test_static_files_tell_no_install_time(client: FlaskClient) -> None:
    response = client.get("/static/style.css")
    assert response.status_code == 200 and response.get_data()
    assert "ETag" not in response.headers and "Last-Modified" not in response.headers
    response.close()
    # A conditional request must not learn the file's time by a 304 either.
    again = client.get(
        "/static/style.css", headers={"If-Modified-Since": "Thu, 01 Jan 2099 00:00:00 GMT"}
    )
    assert again.status_code == 200
    again.close()


def test_logging_out_asks_the_browser_to_forget_the_site(source: SourceActions) -> None:
    source.create()
    response = source.logout()
    assert response.headers["Clear-Site-Data"] == '"cache", "cookies"'


def test_nothing_about_the_client_is_logged(
    source: SourceActions, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    agent = "Mozilla/5.0 (Windows NT 10.0; rv:128.0) Gecko/20100101 Firefox/128.0 SealdropUA"
    source.client.environ_base.update(
        {
            "HTTP_USER_AGENT": agent,
            "REMOTE_ADDR": "203.0.113.9",
            "HTTP_REFERER": "http://example.invalid/from",
        }
    )
    source.create()
    source.submit("logged?", [(b"body", "f.txt")])
    source.client.get("/nope")
    text = caplog.text
    assert "203.0.113.9" not in text and "SealdropUA" not in text and "example.invalid" not in text
