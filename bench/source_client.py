"""The benchmark's HTTP side: a source's form flow, and the upload by http.client or by curl."""

from __future__ import annotations

import http.client
import re
import resource
import secrets
import subprocess
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

CHUNK = 1 << 20
CSRF_PATTERN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
CODENAME_PATTERN = re.compile(r'id="codename">([^<]+)<')
PAGE_PATTERN = re.compile(r'name="page" type="hidden" value="([^"]+)"')


def client_cpu() -> float:
    """user+sys of this thread (the python client) plus reaped children (curl)."""
    own = resource.getrusage(resource.RUSAGE_THREAD)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


class SourceClient:
    """GET /generate, POST /create, GET /lookup: the form flow, with the `sd_session` cookie."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookie = ""

    def _remember(self, response: http.client.HTTPResponse) -> None:
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            if name.strip() == "sd_session":
                self.cookie = rest.split(";", 1)[0]

    def request(
        self, method: str, path: str, body: bytes | None = None, content_type: str = ""
    ) -> tuple[int, str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Cookie": f"sd_session={self.cookie}"} if self.cookie else {}
        if content_type:
            headers["Content-Type"] = content_type
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", errors="replace")
            self._remember(response)
            return response.status, text
        finally:
            conn.close()

    def create_source(self) -> None:
        status, page = self.request("GET", "/generate")
        codename, token = CODENAME_PATTERN.search(page), CSRF_PATTERN.search(page)
        page_id = PAGE_PATTERN.search(page)
        if status != 200 or not codename or not token or not page_id:
            raise RuntimeError(f"GET /generate gave {status} without a codename and token")
        # The codename shown stays in the session cookie; /create takes only the page's id.
        form = {"saved": "y", "csrf_token": token.group(1), "page": page_id.group(1)}
        status, _ = self.request(
            "POST",
            "/create",
            urllib.parse.urlencode(form).encode(),
            "application/x-www-form-urlencoded",
        )
        if status != 302:
            raise RuntimeError(f"POST /create gave {status}, expected 302")

    def csrf_token(self) -> str:
        status, page = self.request("GET", "/lookup")
        token = CSRF_PATTERN.search(page)
        if status != 200 or not token:
            raise RuntimeError(f"GET /lookup gave {status} without a CSRF token")
        return token.group(1)


@dataclass
class UploadResult:
    ok: bool
    seconds: float
    detail: str


Upload = Callable[[SourceClient, Path, str], UploadResult]


def submit_path(csrf: str) -> str:
    """The form posts to an address carrying its CSRF token, checked before the body is read."""
    return "/submit?" + urllib.parse.urlencode({"csrf_token": csrf})


def multipart_parts(csrf: str, filename: str) -> tuple[str, bytes, bytes]:
    boundary = "sealdrop-bench-" + secrets.token_hex(12)
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{csrf}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="message"\r\n\r\n\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    return boundary, head, f"\r\n--{boundary}--\r\n".encode()


def upload_python(client: SourceClient, path: Path, csrf: str) -> UploadResult:
    """http.client with a generator body and an explicit Content-Length: 1 MiB read at a time."""
    boundary, head, tail = multipart_parts(csrf, path.name)
    length = len(head) + path.stat().st_size + len(tail)

    def body() -> Iterator[bytes]:
        yield head
        with path.open("rb", buffering=0) as handle:
            while chunk := handle.read(CHUNK):
                yield chunk
        yield tail

    conn = http.client.HTTPConnection("127.0.0.1", client.port, timeout=600)
    headers = {
        "Cookie": f"sd_session={client.cookie}",
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "Content-Length": str(length),
    }
    started = time.perf_counter()
    try:
        conn.request("POST", submit_path(csrf), body=body(), headers=headers)
        response = conn.getresponse()
        seconds = time.perf_counter() - started
        response.read()
    except (OSError, http.client.HTTPException) as exc:
        return UploadResult(False, time.perf_counter() - started, f"{type(exc).__name__}: {exc}")
    finally:
        conn.close()
    location = response.headers.get("Location", "")
    ok = response.status == 302 and location.endswith("/lookup")
    return UploadResult(ok, seconds, f"HTTP {response.status} -> {location or '(no redirect)'}")


def upload_curl(client: SourceClient, path: Path, csrf: str) -> UploadResult:
    """curl -F, timed by curl itself (connect to last byte of the response)."""
    done = subprocess.run(
        [
            "curl",
            "-sS",
            "-o",
            "/dev/null",
            "-H",
            "Expect:",
            "-H",
            f"Cookie: sd_session={client.cookie}",
            "-w",
            "%{http_code} %{time_total} %{redirect_url}",
            "-F",
            f"csrf_token={csrf}",
            "-F",
            "message=",
            "-F",
            f"files=@{path};type=application/octet-stream",
            f"http://127.0.0.1:{client.port}{submit_path(csrf)}",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    parts = done.stdout.split()
    if done.returncode != 0 or len(parts) < 2:
        return UploadResult(False, 0.0, f"curl exit {done.returncode}: {done.stderr.strip()}")
    status, seconds = int(parts[0]), float(parts[1])
    location = parts[2] if len(parts) > 2 else ""
    ok = status == 302 and location.endswith("/lookup")
    return UploadResult(ok, seconds, f"HTTP {status} -> {location or '(no redirect)'}")


UPLOADS: dict[str, Upload] = {"python": upload_python, "curl": upload_curl}
