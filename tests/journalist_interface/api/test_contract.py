"""The contract from the outside: a client that speaks only HTTP to the journalist app under
gunicorn walks every endpoint. Nothing of the project is imported here; the fixture gives the
address, the credentials, and gpg for the client's own encryption and the reader's decryption."""

from __future__ import annotations

import http.client
import json
import re
import socket
import uuid
from typing import Any

import pyotp
import pytest

from tests.journalist_interface.api.conftest import LiveApi

pytestmark = pytest.mark.server
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")


class Client:
    def __init__(self, live: LiveApi) -> None:
        self.live = live
        self.token: str | None = None

    def call(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, http.client.HTTPMessage, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.live.port, timeout=30)
        sent = {"Content-Type": "application/json", **(headers or {})}
        if self.token:
            sent["Authorization"] = f"Token {self.token}"
        data = None if body is None else json.dumps(body).encode()
        try:
            connection.request(method, path, body=data, headers=sent)
            response = connection.getresponse()
            return response.status, response.headers, response.read()
        finally:
            connection.close()

    def json(self, method: str, path: str, body: Any = None, status: int = 200) -> Any:
        got, headers, data = self.call(method, path, body)
        assert got == status, (method, path, data)
        assert headers["Content-Type"] == "application/json"
        return json.loads(data)


def raw_head(port: int, path: str, token: str) -> list[str]:
    """The response's header lines exactly as they cross the wire."""
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Token {token}\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(f"{request}Connection: close\r\n\r\n".encode())
        received = b""
        while b"\r\n\r\n" not in received and (chunk := sock.recv(65536)):
            received += chunk
    return received.split(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")[1:]


def log_in(client: Client) -> dict[str, Any]:
    live = client.live
    body = {
        "username": live.username,
        "passphrase": live.passphrase,
        "one_time_code": pyotp.TOTP(live.otp_secret).now(),
    }
    answer: dict[str, Any] = client.json("POST", "/api/v1/token", body)
    client.token = answer["token"]
    assert ISO.match(answer["expiration"]) and set(answer["hints"]) == {
        "version",
        "sources",
        "items",
    }
    return answer


def test_every_endpoint_over_http(live_api: LiveApi) -> None:
    client = Client(live_api)
    root = client.json("GET", "/api/v1/")
    assert root["sources_url"] == "/api/v1/sources"
    assert client.json("GET", "/api/v1/sources", status=403)["error"] == "Forbidden"
    assert client.json("GET", "/api/openapi.json")["openapi"].startswith("3.")
    login = log_in(client)
    me = client.json("GET", "/api/v1/user")
    assert me["uuid"] == login["journalist_uuid"] and me["username"] == live_api.username
    assert [user["uuid"] for user in client.json("GET", "/api/v1/users")["users"]] == [me["uuid"]]
    [source] = client.json("GET", "/api/v1/sources")["sources"]
    assert client.json("GET", source["url"]) == source

    message = read_and_download(client, source)
    reply_url = reply_to(client, source)
    seen = {"files": [], "messages": [message["uuid"]], "replies": [reply_url.split("/")[-1]]}
    assert client.json("POST", "/api/v1/seen", seen) == {"message": "resources marked seen"}
    client.json("POST", "/api/v1/seen", {"messages": [str(uuid.uuid4())]}, 404)
    assert client.json("POST", source["add_star_url"], status=201) == {"message": "Star added"}
    assert client.json("DELETE", source["remove_star_url"]) == {"message": "Star removed"}
    client.json("POST", f"{source['url']}/flag")
    sync(client, source)

    assert client.json("DELETE", reply_url) == {"message": "Reply deleted"}
    assert client.json("DELETE", message["submission_url"]) == {"message": "Submission deleted"}
    conversation = client.json("DELETE", f"{source['url']}/conversation")
    assert conversation == {"message": "Source data deleted"}
    assert client.json("DELETE", source["url"]) == {"message": "Source and submissions deleted"}
    client.json("GET", source["url"], status=404)
    assert client.json("POST", "/api/v1/logout") == {"message": "Your token has been revoked."}
    client.json("GET", "/api/v1/user", status=403)


def read_and_download(client: Client, source: dict[str, Any]) -> dict[str, Any]:
    live_api = client.live
    [message] = client.json("GET", source["submissions_url"])["submissions"]
    assert client.json("GET", "/api/v1/submissions")["submissions"] == [message]
    assert client.json("GET", message["submission_url"]) == message
    status, headers, data = client.call("GET", message["download_url"])
    assert status == 200 and headers["Content-Type"] == "application/pgp-encrypted"
    assert headers["Accept-Ranges"] == "bytes"
    assert headers["Content-Disposition"] == f"attachment; filename={message['filename']}"
    assert live_api.decrypt(data)
    ranged = {"Range": "bytes=0-9"}
    status, headers, part = client.call("GET", message["download_url"], headers=ranged)
    assert status == 206 and part == data[:10]
    head = raw_head(live_api.port, message["download_url"], client.token or "")
    etag_lines = [line for line in head if line.lower().startswith("etag:")]
    assert len(etag_lines) == 1 and re.fullmatch(r"Etag: sha256:[0-9a-f]{64}", etag_lines[0])
    assert client.json("GET", message["submission_url"])["is_read"] is True
    return message  # type: ignore[no-any-return]


def reply_to(client: Client, source: dict[str, Any]) -> str:
    live_api = client.live
    keys = [source["key"]["public"], live_api.submission_public_key]
    armored = live_api.encrypt("Thank you.", keys)
    chosen = str(uuid.uuid4())
    stored = client.json("POST", source["replies_url"], {"reply": armored, "uuid": chosen}, 201)
    assert stored["uuid"] == chosen and stored["filename"].endswith("-reply.gpg")
    client.json("POST", source["replies_url"], {"reply": armored, "uuid": chosen}, 409)
    bad = client.json("POST", source["replies_url"], {"reply": "plain"}, 400)
    assert bad["message"] == "You must encrypt replies client side"
    reply_url = f"{source['replies_url']}/{chosen}"
    reply = client.json("GET", reply_url)
    assert client.json("GET", source["replies_url"])["replies"] == [reply]
    assert client.json("GET", "/api/v1/replies")["replies"] == [reply]
    status, _, reply_data = client.call("GET", f"{reply_url}/download")
    assert status == 200 and live_api.decrypt(reply_data) == b"Thank you."
    return reply_url


def sync(client: Client, source: dict[str, Any]) -> None:
    prefer = {"Prefer": "securedrop=4"}
    status, headers, index_body = client.call("GET", "/api/v2/index", headers=prefer)
    index = json.loads(index_body)
    assert status == 200 and set(index) == {"sources", "items", "journalists"}
    unchanged = {**prefer, "If-None-Match": headers["ETag"]}
    status, _, empty = client.call("GET", "/api/v2/index", headers=unchanged)
    assert status == 304 and empty == b""
    event = {
        "id": "4242",
        "type": "source_starred",
        "target": {"source_uuid": source["uuid"], "version": index["sources"][source["uuid"]]},
    }
    synced = client.json("POST", "/api/v2/data", {"events": [event], "sources": [source["uuid"]]})
    assert synced["events"] == {"4242": [200, None]}
    assert synced["sources"][source["uuid"]]["is_starred"] is True
    again = client.json("POST", "/api/v2/data", {"events": [event]})
    assert again["events"] == {"4242": [200, None]}


def test_bad_input_over_http(live_api: LiveApi) -> None:
    client = Client(live_api)
    log_in(client)
    connection = http.client.HTTPConnection("127.0.0.1", live_api.port, timeout=30)
    try:
        connection.request(
            "POST", "/api/v1/seen", body=b"{", headers={"Authorization": f"Token {client.token}"}
        )
        response = connection.getresponse()
        assert response.status == 400 and json.loads(response.read())["error"] == "Bad Request"
    finally:
        connection.close()
    huge = b"[" + b"0," * 2_000_000 + b"0]"
    connection = http.client.HTTPConnection("127.0.0.1", live_api.port, timeout=30)
    try:
        connection.request(
            "POST", "/api/v2/data", body=huge, headers={"Authorization": f"Token {client.token}"}
        )
        response = connection.getresponse()
        assert response.status == 413
        assert response.headers["Content-Type"] == "application/json"
        assert json.loads(response.read())["error"] == "Request Entity Too Large"
    except (BrokenPipeError, ConnectionResetError):
        pytest.fail("the server cut the connection instead of answering 413")
    finally:
        connection.close()
    status, headers, _ = client.call("GET", "/api/nowhere")
    assert status == 404 and headers["Content-Type"] == "application/json"
