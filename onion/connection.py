"""Connecting to a running tor: a control socket (a path) or port (`127.0.0.1:9051`), cookie or
safecookie authentication (no passwords are stored anywhere). Every failure becomes one of the
typed errors in `onion.errors`, with a message that says what to do.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import stem
import stem.connection
import stem.control
import stem.version

from onion.errors import TorAuthFailed, TorNotRunning, TorPermission, TorTooOld

# ADD_ONION learnt ClientAuthV3 in 0.4.6.1.
MIN_VERSION = stem.version.Version("0.4.6.1")
# Where Debian's and the Tor Project's packages put the control socket, then the usual port.
DEFAULT_SOCKETS = ("/run/tor/control", "/var/run/tor/control")
DEFAULT_PORT = "127.0.0.1:9051"


def candidates(control: str | None) -> list[str]:
    """The control endpoints to try: the one given, else the usual places."""
    if control:
        return [control]
    return [path for path in DEFAULT_SOCKETS if Path(path).exists()] + [DEFAULT_PORT]


def _open(endpoint: str) -> stem.control.Controller:
    if endpoint.startswith("/"):
        return stem.control.Controller.from_socket_file(endpoint)
    host, _, port = endpoint.rpartition(":")
    if host not in ("127.0.0.1", "localhost") or not port.isdigit():
        raise TorNotRunning(
            f"{endpoint!r}: give the control port as 127.0.0.1:PORT or a socket path"
        )
    return stem.control.Controller.from_port(address="127.0.0.1", port=int(port))


def connect_one(endpoint: str) -> stem.control.Controller:
    try:
        controller = _open(endpoint)
    except stem.SocketError as exc:
        if "ermission denied" in str(exc):
            raise TorPermission(
                f"no permission to open Tor's control socket {endpoint} "
                "(add this user to tor's group, e.g. debian-tor)"
            ) from None
        raise TorNotRunning(
            f"Tor is not running, or has no control port at {endpoint} "
            "(set ControlPort or ControlSocket with CookieAuthentication 1 in its torrc)"
        ) from None
    try:
        controller.authenticate()
    except stem.connection.UnreadableCookieFile as exc:
        controller.close()
        raise TorPermission(
            f"cannot read Tor's authentication cookie {exc.cookie_path} "
            "(add this user to tor's group, e.g. debian-tor, or set CookieAuthFileGroupReadable 1)"
        ) from None
    except stem.connection.MissingPassword:
        controller.close()
        raise TorAuthFailed(
            f"Tor at {endpoint} asks for a password; enable CookieAuthentication 1 instead"
        ) from None
    except stem.connection.AuthenticationFailure as exc:
        controller.close()
        raise TorAuthFailed(f"Tor at {endpoint} refused authentication: {exc}") from None
    return controller


def connect(control: str | None) -> stem.control.Controller:
    """An authenticated controller for a recent enough tor, or a typed one-line error."""
    failure: TorNotRunning | None = None
    for endpoint in candidates(control):
        try:
            controller = connect_one(endpoint)
        except TorNotRunning as exc:
            failure = exc
            continue
        try:
            require_version(str(controller.get_version()))
        except TorTooOld:
            controller.close()
            raise
        return controller
    if control is None:
        raise TorNotRunning(
            "no Tor control socket or port found (tried "
            + ", ".join([*DEFAULT_SOCKETS, DEFAULT_PORT])
            + "); give one with --control"
        )
    assert failure is not None
    raise failure


def require_version(version: str) -> None:
    """Refuse a tor whose ADD_ONION cannot do v3 client authorization."""
    found = stem.version.Version(version.split(maxsplit=1)[0])
    if found < MIN_VERSION:
        raise TorTooOld(
            f"tor {found} is too old: v3 client authorization needs tor {MIN_VERSION} "
            "or later (Debian 12: install tor from bookworm or the Tor Project's repository)"
        )


@contextlib.contextmanager
def connected(control: str | None) -> Iterator[stem.control.Controller]:
    controller = connect(control)
    try:
        yield controller
    finally:
        controller.close()
