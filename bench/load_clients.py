"""The load bench's clients: an honest submission sent again after each 503, and a slow upload
trickling 1 KB a second, alone or reconnecting as an attacker would."""

from __future__ import annotations

import asyncio
import http.client
import secrets
import time
from dataclasses import dataclass

from source_client import SourceClient, submit_path

MB = 1_000_000


RETRY_SECONDS = 1.0  # the bench's own pause after a 503; a browser would honour Retry-After


def submission(client: SourceClient, csrf: str, message: str, size: int) -> tuple[bytes, bytes]:
    boundary = "bench-" + secrets.token_hex(12)
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{csrf}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="message"\r\n\r\n{message}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="f.bin"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + secrets.token_bytes(size)
        + f"\r\n--{boundary}--\r\n".encode()
    )
    head = (
        f"POST {submit_path(csrf)} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Cookie: sd_session={client.cookie}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    return head, body


def submit(client: SourceClient, csrf: str, message: str, size: int, give_up: float) -> list[int]:
    """One submission, sent again after each 503 until `give_up` seconds: every status seen."""
    head, body = submission(client, csrf, message, size)
    statuses: list[int] = []
    deadline = time.monotonic() + give_up
    while time.monotonic() < deadline:
        conn = http.client.HTTPConnection("127.0.0.1", client.port, timeout=120)
        try:
            conn.connect()
            assert conn.sock is not None
            conn.sock.sendall(head)
            conn.sock.sendall(body)
            response = http.client.HTTPResponse(conn.sock, method="POST")
            response.begin()
            response.read()
            statuses.append(response.status)
        except (OSError, http.client.HTTPException):
            statuses.append(0)
        finally:
            conn.close()
        if statuses[-1] != 503:
            break
        time.sleep(RETRY_SECONDS * (0.5 + secrets.randbelow(1000) / 1000))
    return statuses


@dataclass
class SlowOutcome:
    refused: int = 0  # 503 at once
    other_answer: int = 0
    cut: int = 0  # closed by the server without an answer
    still_open: int = 0
    failed_to_connect: int = 0


async def slow_upload(client: SourceClient, csrf: str, seconds: float, out: SlowOutcome) -> None:
    """Send the head of an upload, then 1 KB a second, until the server answers or closes."""
    head, body = submission(client, csrf, "slow", int(seconds * 1000) + 10_000)
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", client.port)
    except OSError:
        out.failed_to_connect += 1
        return
    try:
        writer.write(head)
        sent, deadline = 0, time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                answer = await asyncio.wait_for(reader.read(64), 1.0)
            except TimeoutError:
                writer.write(body[sent : sent + 1000])
                sent += 1000
                continue
            if answer.startswith(b"HTTP/1.1 503"):
                out.refused += 1
            elif answer:
                out.other_answer += 1
            else:
                out.cut += 1
            return
        out.still_open += 1
    except OSError:
        out.cut += 1
    finally:
        writer.close()


async def slow_client(
    client: SourceClient, csrf: str, seconds: float, out: SlowOutcome, *, reconnect: bool
) -> None:
    """One slow upload; with `reconnect`, a new one after each refusal or cut, as an attacker
    holding connections open would do, until the time is up."""
    deadline = time.monotonic() + seconds
    while True:
        await slow_upload(client, csrf, deadline - time.monotonic(), out)
        if not reconnect or time.monotonic() > deadline - 1:
            return
        await asyncio.sleep(0.5)
