"""Response headers for Tor Browser at Safest, the Host check, and what crawlers may not do."""

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
    # A source's landing page in a search engine would point at who looked for it.
    "X-Robots-Tag": "noindex, nofollow, noarchive",
}
# Headers that would date the installation (static files) or name the software serving it.
REVEALING_HEADERS = ("Server", "ETag", "Last-Modified")
# Names the app answers to when no onion address is configured: a demo or a test on this machine.
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
MISDIRECTED = 421
ROBOTS_TXT = "User-agent: *\nDisallow: /\n"


def allowed_hosts(onion: str | None) -> frozenset[str]:
    """Only the onion address in production; only loopback names when none is configured.

    A proxy that forwarded a clearnet name to the app by mistake is refused either way.
    """
    return frozenset({onion.lower()}) if onion else LOOPBACK_HOSTS


def host_name(raw_host: str) -> str:
    """'Example.onion:80' -> 'example.onion'; '[::1]:8080' -> '::1'."""
    host = raw_host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


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
