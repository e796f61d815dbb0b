"""API tokens: logging in with both factors, deny by default, and every way a token stops
working (logout, expiry, a passphrase change, a deleted account)."""

from __future__ import annotations

import re

import pyotp
import pytest
from flask import Flask

from sealdrop.db.models import Journalist
from sealdrop.runtime.instance import Instance
from sealdrop.services import journalists
from tests.journalist_interface.api.client import ApiClient
from tests.journalist_interface.api.conftest import issue
from tests.sealdrop.services.journalist_helpers import PASSPHRASE

ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")


def login_body(journalist: Journalist, **changes: str) -> dict[str, str]:
    body = {
        "username": journalist.username,
        "passphrase": PASSPHRASE,
        "one_time_code": pyotp.TOTP(journalist.otp_secret).now(),
    }
    return {**body, **changes}


def test_root_lists_the_paths_without_a_token(anonymous: ApiClient) -> None:
    root = anonymous.json("GET", "/api/v1/")
    assert root == {
        "auth_token_url": "/api/v1/token",
        "current_user_url": "/api/v1/user",
        "all_users_url": "/api/v1/users",
        "replies_url": "/api/v1/replies",
        "seen_url": "/api/v1/seen",
        "sources_url": "/api/v1/sources",
        "submissions_url": "/api/v1/submissions",
    }


def test_login_gives_a_token_that_opens_the_api(anonymous: ApiClient, dana: Journalist) -> None:
    answer = anonymous.json("POST", "/api/v1/token", login_body(dana))
    assert set(answer) == {
        "token",
        "expiration",
        "journalist_uuid",
        "journalist_first_name",
        "journalist_last_name",
        "hints",
    }
    assert answer["journalist_uuid"] == dana.uuid and ISO.match(answer["expiration"])
    assert set(answer["hints"]) == {"version", "sources", "items"}
    client = ApiClient(anonymous.client, answer["token"])
    me = client.json("GET", "/api/v1/user")
    assert me["uuid"] == dana.uuid and me["username"] == "dana" and me["is_admin"] is False
    assert ISO.match(me["last_login"]) and me["last_login"].endswith("T00:00:00.000000Z")


def test_a_reused_code_is_refused(anonymous: ApiClient, dana: Journalist) -> None:
    body = login_body(dana)
    anonymous.json("POST", "/api/v1/token", body)
    again = anonymous.json("POST", "/api/v1/token", body, status=403)
    assert again["error"] == "Forbidden"


@pytest.mark.parametrize(
    "wrong", [{"passphrase": "wrong " * 5}, {"one_time_code": "000000"}, {"username": "nobody"}]
)
def test_wrong_credentials_get_403(
    anonymous: ApiClient, dana: Journalist, wrong: dict[str, str]
) -> None:
    answer = anonymous.json("POST", "/api/v1/token", login_body(dana, **wrong), status=403)
    assert answer == {
        "error": "Forbidden",
        "message": "The username, passphrase or two-factor code is wrong.",
    }


def test_too_many_failures_are_throttled(anonymous: ApiClient, dana: Journalist) -> None:
    statuses = [
        anonymous.post("/api/v1/token", login_body(dana, one_time_code="000000")).status_code
        for _ in range(8)
    ]
    assert statuses[0] == 403 and statuses[-1] == 429


@pytest.mark.parametrize(
    "body", [{"username": "dana"}, {"username": 1, "passphrase": "x", "one_time_code": "1"}, []]
)
def test_malformed_logins_get_400(anonymous: ApiClient, body: object) -> None:
    answer = anonymous.json("POST", "/api/v1/token", body, status=400)
    assert answer["error"] == "Bad Request"


@pytest.mark.parametrize(
    "path",
    ["/api/v1/sources", "/api/v1/user", "/api/v1/users", "/api/v2/index", "/api/v1/submissions"],
)
@pytest.mark.parametrize("authorization", [None, "Token nonsense", "Bearer x", "Token "])
def test_without_a_valid_token_everything_is_403(
    anonymous: ApiClient, path: str, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = anonymous.get(path, headers=headers)
    assert response.status_code == 403 and response.get_json()["error"] == "Forbidden"


def test_logout_revokes_the_token(api: ApiClient) -> None:
    assert api.json("POST", "/api/v1/logout") == {"message": "Your token has been revoked."}
    assert api.get("/api/v1/user").status_code == 403


def test_an_expired_token_is_refused(app: Flask, instance: Instance, dana: Journalist) -> None:
    client = ApiClient(app.test_client(), issue(instance, dana, hours=0))
    assert client.get("/api/v1/user").status_code == 403


def test_a_passphrase_change_ends_tokens(api: ApiClient, instance: Instance) -> None:
    with instance.sessions() as session:
        dana = journalists.by_uuid(session, api.json("GET", "/api/v1/user")["uuid"])
        journalists.change_passphrase(
            session, dana, new=PASSPHRASE + " again", cost=journalists.argon2_cost(instance.config)
        )
        session.commit()
    assert api.get("/api/v1/user").status_code == 403


def test_a_deleted_account_s_token_stops_working(
    api: ApiClient, instance: Instance, dana: Journalist
) -> None:
    with instance.sessions() as session:
        journalists.remove(session, journalists.by_uuid(session, dana.uuid))
        session.commit()
    assert api.get("/api/v1/sources").status_code == 403


def test_users_lists_everyone(api: ApiClient, dana: Journalist) -> None:
    assert api.json("GET", "/api/v1/users") == {
        "users": [
            {"uuid": dana.uuid, "username": "dana", "first_name": "Dana", "last_name": "Scully"}
        ]
    }


def test_the_openapi_document_is_public(anonymous: ApiClient) -> None:
    document = anonymous.json("GET", "/api/openapi.json")
    assert document["openapi"].startswith("3.")


def test_every_route_is_in_the_openapi_document(app: Flask, anonymous: ApiClient) -> None:
    documented = anonymous.json("GET", "/api/openapi.json")["paths"]
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        path = re.sub(r"<(\w+)>", r"{\1}", rule.rule)
        methods = {m.lower() for m in rule.methods or ()} - {"head", "options"}
        assert methods <= set(documented.get(path, {})), f"{rule.rule} {methods}"
