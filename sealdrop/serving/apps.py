"""The web apps gunicorn can serve: their names, import paths and upload routes."""

from __future__ import annotations

from dataclasses import dataclass

from sealdrop.errors import ConfigError


@dataclass(frozen=True)
class AppSpec:
    """A web app gunicorn can serve, and the routes that may carry a large body."""

    name: str  # as in `sealdrop serve NAME` and `Config.app(NAME)`
    # Named by import path: the core must not import the web apps (see the import contracts).
    target: str
    # Only POSTs to these paths get the upload body limit and an upload slot; every other
    # request must fit the small limit and is read whole before it reaches a thread.
    upload_paths: frozenset[str] = frozenset()


APPS = {
    "source": AppSpec(
        "source", "source_interface.wsgi:application()", upload_paths=frozenset({"/submit"})
    ),
    # No upload route: a reply is small, and every body is read whole before a thread sees it.
    "journalist": AppSpec("journalist", "journalist_interface.wsgi:application()"),
}


def app_for_target(target: str) -> AppSpec:
    """The registry entry gunicorn was started with; the worker learns its app and routes here."""
    for spec in APPS.values():
        if spec.target == target:
            return spec
    raise ConfigError(f"gunicorn was started with {target!r}, which is not a Sealdrop app")
