"""Logging in to the newsroom: both factors, one answer for any wrong part, deny by default,
sessions that end on logout, on a passphrase change and when they grow old."""

from __future__ import annotations

import pytest
from flask import Flask

from sealdrop.db.models import Journalist
from sealdrop.runtime.instance import Instance
from sealdrop.services import journalists
from sealdrop.services.journalists import TwoFactor
from tests.journalist_interface.actions import HOST, JournalistActions, flashes
from tests.sealdrop.services.journalist_helpers import PASSPHRASE

WRONG = "The username, passphrase or two-factor code is wrong."


@pytest.mark.parametrize("path", ["/", "/account/", "/sources/nope", "/nowhere"])
def test_every_page_but_login_sends_strangers_to_login(
    journalist: JournalistActions, path: str
) -> None:
    response = journalist.get(path)
    assert response.status_code == 302 and response.headers["Location"] == "/login"


def test_login_page_and_static_files_are_public(journalist: JournalistActions) -> None:
    assert journalist.get("/login").status_code == 200
    style = journalist.get("/static/style.css")
    assert style.status_code == 200
    style.close()


def test_passphrase_and_code_log_in_and_logout_ends_it(
    journalist: JournalistActions, dana: Journalist
) -> None:
    response = journalist.login(dana)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "Sources" in journalist.get("/").get_data(as_text=True)

    out = journalist.logout()
    assert out.status_code == 302
    assert journalist.get("/").headers["Location"] == "/login"


@pytest.mark.parametrize(
    "wrong", [{"passphrase": PASSPHRASE + "!"}, {"code": "000000"}], ids=["passphrase", "code"]
)
def test_a_wrong_part_gets_the_one_answer(
    journalist: JournalistActions, dana: Journalist, wrong: dict[str, str]
) -> None:
    response = journalist.login(dana, **wrong)
    assert response.status_code == 403
    assert flashes(response) == [WRONG]
    assert journalist.get("/").status_code == 302


def test_an_unknown_username_gets_the_same_answer(journalist: JournalistActions) -> None:
    response = journalist.post(
        "/login", {"username": "nobody", "passphrase": PASSPHRASE, "code": "123456"}
    )
    assert (response.status_code, flashes(response)) == (403, [WRONG])


def test_a_code_cannot_log_in_twice(newsroom: Flask, dana: Journalist) -> None:
    first, second = (
        JournalistActions(newsroom.test_client()),
        JournalistActions(newsroom.test_client()),
    )
    code = first.current_code(dana)
    assert first.login(dana, code=code).status_code == 302
    assert second.login(dana, code=code).status_code == 403


def test_repeated_failures_are_throttled(journalist: JournalistActions, dana: Journalist) -> None:
    for _ in range(5):
        assert journalist.login(dana, code="000000").status_code == 403
    response = journalist.login(dana)
    assert response.status_code == 429
    assert flashes(response) == [
        "Too many failed logins recently. Wait a few minutes, then try again."
    ]


@pytest.mark.parametrize(
    "data", [{}, {"username": "dana"}, {"username": "d" * 65, "passphrase": "x", "code": "1"}]
)
def test_incomplete_login_forms_are_a_400(
    journalist: JournalistActions, data: dict[str, str]
) -> None:
    assert journalist.post("/login", data).status_code == 400


def test_a_login_form_without_its_csrf_token_is_refused(
    journalist: JournalistActions, dana: Journalist
) -> None:
    response = journalist.client.post(
        "/login",
        data={"username": "dana", "passphrase": PASSPHRASE, "code": journalist.current_code(dana)},
        headers=HOST,
    )
    assert response.status_code == 400


def test_resetting_two_factor_ends_open_sessions(
    journalist: JournalistActions, dana: Journalist, source_instance: Instance
) -> None:
    journalist.login(dana)
    with source_instance.sessions() as session:
        row = journalists.by_uuid(session, dana.uuid)
        journalists.reset_two_factor(session, row, second_factor=TwoFactor.new_totp())
        session.commit()
    assert journalist.get("/").headers["Location"] == "/login"


def test_changing_the_passphrase_ends_the_session_and_the_new_one_works(
    newsroom: Flask, dana: Journalist
) -> None:
    journalist = JournalistActions(newsroom.test_client())
    journalist.login(dana)
    new = "seven new words for a brand new passphrase"
    response = journalist.post("/account/", {"current": PASSPHRASE, "new": new})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert journalist.get("/").headers["Location"] == "/login"
    later = JournalistActions(newsroom.test_client())
    assert (
        later.login(dana, passphrase=PASSPHRASE, code=later.current_code(dana)).status_code == 403
    )


def test_the_passphrase_change_needs_the_current_one_and_a_strong_new_one(
    journalist: JournalistActions, dana: Journalist
) -> None:
    journalist.login(dana)
    wrong = journalist.post(
        "/account/", {"current": "not it at all, no", "new": "x" * 30 + "abcdefgh"}
    )
    assert (wrong.status_code, flashes(wrong)) == (403, ["The current passphrase is wrong."])
    weak = journalist.post("/account/", {"current": PASSPHRASE, "new": "short"})
    assert weak.status_code == 400 and "at least 14" in flashes(weak)[0]
    assert journalist.get("/").status_code == 200


def test_a_stray_request_while_the_login_page_is_open_keeps_its_form_valid(
    journalist: JournalistActions, dana: Journalist
) -> None:
    token = journalist.csrf("/login")
    assert journalist.get("/favicon.ico").headers["Location"] == "/login"
    response = journalist.client.post(
        "/login",
        data={
            "csrf_token": token,
            "username": "dana",
            "passphrase": PASSPHRASE,
            "code": journalist.current_code(dana),
        },
        headers=HOST,
    )
    assert response.status_code == 302 and response.headers["Location"] == "/"
