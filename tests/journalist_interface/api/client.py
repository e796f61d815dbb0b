"""ApiClient: what a SecureDrop-compatible client does, through the Flask test client; and replies
encrypted the way such a client encrypts them, with the gpg command line."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

HOST = "127.0.0.1"


class ApiClient:
    def __init__(self, client: FlaskClient, token: str | None = None) -> None:
        self.client = client
        self.token = token

    def headers(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        headers = {"Host": HOST, **(extra or {})}
        if self.token is not None:
            headers.setdefault("Authorization", f"Token {self.token}")
        return headers

    def get(self, path: str, headers: Mapping[str, str] | None = None) -> TestResponse:
        return self.client.get(path, headers=self.headers(headers))

    def delete(self, path: str) -> TestResponse:
        return self.client.delete(path, headers=self.headers())

    def post(self, path: str, body: Any = None, *, raw: bytes | None = None) -> TestResponse:
        data = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
        return self.client.post(
            path,
            data=data,
            headers=self.headers({"Content-Type": "application/json"}),
        )

    def json(self, method: str, path: str, body: Any = None, status: int = 200) -> Any:
        """Call and check the status; the parsed body."""
        if method == "GET":
            response = self.get(path)
        elif method == "DELETE":
            response = self.delete(path)
        else:
            response = self.post(path, body)
        assert response.status_code == status, response.get_data(as_text=True)
        assert response.mimetype == "application/json"
        parsed = response.get_json()
        response.close()
        return parsed


def encrypt_reply(text: str, public_keys: list[str]) -> str:
    """An armored OpenPGP message to `public_keys`, made outside any server code."""
    home = Path(tempfile.mkdtemp(prefix="sdq-"))
    try:
        base = ["gpg", "--homedir", str(home), "--batch", "--quiet"]
        fingerprints = []
        for key in public_keys:
            done = subprocess.run(
                [*base, "--import", "--import-options", "import-show", "--with-colons"],
                input=key.encode(),
                capture_output=True,
                check=True,
            )
            for line in done.stdout.decode().splitlines():
                if line.startswith("fpr:"):
                    fingerprints.append(line.split(":")[9])
                    break
        recipients = [arg for fpr in fingerprints for arg in ("--recipient", fpr)]
        done = subprocess.run(
            [*base, "--armor", "--trust-model", "always", "--encrypt", *recipients],
            input=text.encode(),
            capture_output=True,
            check=True,
        )
        return done.stdout.decode()
    finally:
        subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"], check=False)
        shutil.rmtree(home, ignore_errors=True)
