"""Which Host names a web app answers to: its onion address, or loopback names in a demo."""

from __future__ import annotations

# Names an app answers to when no onion address is configured: a demo or a test on this machine.
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
MISDIRECTED = 421


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
