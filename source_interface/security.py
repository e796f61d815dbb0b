"""Response headers for Tor Browser at Safest, and the Host check of production mode."""

from __future__ import annotations

from flask import Flask, Response, abort, request
from flask_babel import gettext as _

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
    "Cross-Origin-Embedder-Policy": "require-corp",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    "Cache-Control": "no-store, max-age=0",
    "Pragma": "no-cache",
}


def add_security_headers(response: Response) -> Response:
    response.headers.update(HEADERS)
    # Werkzeug names itself in the Server header by default; the onion tells nothing.
    response.headers.pop("Server", None)
    return response


def install(app: Flask, *, expected_host: str | None) -> None:
    app.after_request(add_security_headers)
    if expected_host:

        @app.before_request
        def refuse_other_hosts() -> None:
            if request.host.split(":")[0] != expected_host:
                abort(400, description=_("This service answers only at its onion address."))
