"""Response headers (no script anywhere), the Host check, and no crawling."""

from __future__ import annotations

from flask import Flask, Response, abort, request

from sealdrop.serving.hosts import MISDIRECTED, allowed_hosts, host_name

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cache-Control": "no-store, max-age=0",
    "X-Robots-Tag": "noindex, nofollow, noarchive",
}
REVEALING_HEADERS = ("Server", "Last-Modified")


def add_security_headers(response: Response) -> Response:
    response.headers.update(HEADERS)
    for name in REVEALING_HEADERS:
        response.headers.pop(name, None)
    return response


def install(app: Flask, *, expected_host: str | None) -> None:
    """The Host check runs first, before anything reads a body or a session."""
    hosts = allowed_hosts(expected_host)

    @app.before_request
    def refuse_other_hosts() -> None:
        if host_name(request.environ.get("HTTP_HOST", "")) not in hosts:
            abort(MISDIRECTED, description="This service answers only at its onion address.")
        if request.method == "OPTIONS":
            abort(405)

    app.after_request(add_security_headers)
