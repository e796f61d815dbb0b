"""Whatever a client sends, the API answers in JSON with a 4xx: malformed bodies, wrong types,
huge bodies, unknown paths and methods; never a 500, never an HTML page."""

from __future__ import annotations

import pytest

from tests.journalist_interface.api.client import ApiClient
from tests.journalist_interface.api.conftest import Seeded

POSTS = ["/api/v1/token", "/api/v1/seen", "/api/v2/data"]


@pytest.mark.parametrize("path", POSTS)
@pytest.mark.parametrize("raw", [b"{", b"null", b"[]", b'"text"', b"\xff\xfe", b""])
def test_malformed_json_is_400(api: ApiClient, path: str, raw: bytes) -> None:
    response = api.post(path, raw=raw)
    assert response.status_code == 400
    assert response.get_json()["error"] == "Bad Request"


def test_a_malformed_reply_body_is_400(api: ApiClient, seeded: Seeded) -> None:
    response = api.post(f"/api/v1/sources/{seeded.source_uuid}/replies", raw=b"{'reply':")
    assert response.status_code == 400 and response.get_json()["error"] == "Bad Request"


@pytest.mark.parametrize("path", POSTS)
def test_a_huge_body_is_413_in_json(api: ApiClient, path: str) -> None:
    response = api.post(path, raw=b"[" + b"0," * 1_500_000 + b"0]")
    assert response.status_code == 413
    assert response.get_json()["error"] == "Request Entity Too Large"


@pytest.mark.parametrize(
    "body",
    [
        {"sources": "x"},
        {"items": [1, 2]},
        {"journalists": {}},
        {"events": {}},
        {"events": [{"type": "source_starred"}]},
        {"events": [{"id": 5}]},
        {"events": [{"id": "x" * 65}]},
    ],
)
def test_wrong_types_in_v2_data_are_400(api: ApiClient, body: object) -> None:
    assert api.json("POST", "/api/v2/data", body, status=400)["error"] == "Bad Request"


@pytest.mark.parametrize("path", ["/api/nowhere", "/api/v1/sources/x/nothing", "/api/v3/index"])
def test_unknown_paths_are_404_json_with_or_without_a_token(
    api: ApiClient, anonymous: ApiClient, path: str
) -> None:
    for client in (api, anonymous):
        response = client.get(path)
        assert response.status_code == 404 and response.mimetype == "application/json"


def test_wrong_methods_are_405_json(api: ApiClient, anonymous: ApiClient) -> None:
    for client in (api, anonymous):
        response = client.get("/api/v1/token")
        assert response.status_code == 405 and response.get_json()["error"] == (
            "Method Not Allowed"
        )
        response = client.delete("/api/v1/sources")
        assert response.status_code == 405 and response.mimetype == "application/json"


def test_a_wrong_host_is_refused_in_json(api: ApiClient) -> None:
    response = api.client.get("/api/v1/", headers={"Host": "example.com"})
    assert response.status_code == 421 and response.mimetype == "application/json"
