"""Response headers for Tor Browser at Safest, the Host check, and what crawlers may not do."""

from __future__ import annotations

from flask import Flask, Response, abort, request
from flask_babel import gettext as _

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
    "Cross-Origin-Embedder-Policy": "require-corp",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    "Cache-Control": "no-store, max-age=0",
    "Pragma": "no-cache",
    # A source's landing page in a search engine would point at who looked for it.
    "X-Robots-Tag": "noindex, nofollow, noarchive",
}
# Headers that would date the installation (static files) or name the software serving it.
REVEALING_HEADERS = ("Server", "ETag", "Last-Modified")
ROBOTS_TXT = "User-agent: *\nDisallow: /\n"


def add_security_headers(response: Response) -> Response:
    response.headers.update(HEADERS)
    for name in REVEALING_HEADERS:
        response.headers.pop(name, None)
    return response


def install(app: Flask, *, expected_host: str | None) -> None:
    """Register the Host check and the OPTIONS refusal; call first, before any hook that reads
    the body, so a request to the wrong name or method is refused before a byte is parsed."""
    hosts = allowed_hosts(expected_host)

    @app.before_request
    def refuse_other_hosts_and_options() -> None:
        # The raw header, not request.host: Werkzeug's TRUSTED_HOSTS check would raise its own 400.
        if host_name(request.environ.get("HTTP_HOST", "")) not in hosts:
            abort(MISDIRECTED, description=_("This service answers only at its onion address."))
        if request.method == "OPTIONS":
            abort(405)

    app.after_request(add_security_headers)
    app.add_url_rule("/robots.txt", "robots_txt", robots_txt)


def robots_txt() -> Response:
    return Response(ROBOTS_TXT, mimetype="text/plain")
