"""The state directory: both services' keys and the journalist onion's authorized clients.

    <state>/                      0700
      source/                     a Tor HiddenServiceDir layout: hs_ed25519_secret_key (0600),
      journalist/                 hs_ed25519_public_key, hostname
        authorized_clients/       one `<device>.auth` per journalist device (public half only)
      published.json              what `publish` last asked of Tor through the control port

Each subdirectory is exactly what Tor keeps in a HiddenServiceDir, so torrc mode copies it and
the control port reads the same key: the addresses never change unless these files are lost.
The private half of a client key is never stored: it is shown once, when the device is added.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path

from onion.errors import ClientError, StateError
from onion.keys import ClientKeyPair, ServiceKey, parse_auth_line, write_private

SERVICES = ("source", "journalist")
CLIENT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$")


@dataclass(frozen=True)
class AuthorizedClient:
    name: str
    public_b32: str
    added: dt.date


@dataclass(frozen=True)
class NewClient:
    """A device just authorized: `auth_private` is shown once and never stored."""

    name: str
    address: str
    keys: ClientKeyPair

    @property
    def auth_private(self) -> str:
        return self.keys.auth_private_line(self.address)


class ClientStore:
    """The journalist onion's authorized clients, one public key file per device.

    Files are in Tor's `authorized_clients/` format, so torrc mode copies them as they are. A
    web page can call `add`, `list` and `revoke` as well as the CLI; what Tor sees changes when
    the caller then re-applies the list (`control.sync_clients`, or a reload in torrc mode).
    """

    def __init__(self, directory: Path, address: str) -> None:
        self.directory = directory
        self.address = address

    def _path(self, name: str) -> Path:
        if not CLIENT_NAME.match(name):
            raise ClientError(f"{name!r} is not a device name: use 1-63 letters, digits, - or _")
        return self.directory / f"{name}.auth"

    def entries(self) -> list[AuthorizedClient]:
        if not self.directory.is_dir():
            return []
        clients = []
        for path in sorted(self.directory.glob("*.auth")):
            added = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC).date()
            public = parse_auth_line(path.read_text(encoding="ascii"))
            clients.append(AuthorizedClient(path.stem, public, added))
        return clients

    def add(self, name: str) -> NewClient:
        path = self._path(name)
        if path.exists():
            raise ClientError(f"a device named {name!r} is already authorized; revoke it first")
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        keys = ClientKeyPair.generate()
        write_private(path, (keys.auth_line() + "\n").encode("ascii"))
        return NewClient(name, self.address, keys)

    def revoke(self, name: str) -> None:
        path = self._path(name)
        try:
            path.unlink()
        except FileNotFoundError:
            raise ClientError(f"no device named {name!r} is authorized") from None

    def public_keys(self) -> list[str]:
        return [client.public_b32 for client in self.entries()]


class State:
    """A state directory, made (0700) with both service keys on first use."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def open(self) -> State:
        try:
            self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
            self.root.chmod(0o700)
        except OSError as exc:
            raise StateError(f"cannot use {self.root} as the onion state: {exc.strerror}") from None
        for service in SERVICES:
            ServiceKey.load_or_create(self.root / service)
        return self

    def key(self, service: str) -> ServiceKey:
        return ServiceKey.read(self.root / service)

    def address(self, service: str) -> str:
        return self.key(service).address

    @property
    def clients(self) -> ClientStore:
        return ClientStore(
            self.root / "journalist" / "authorized_clients", self.address("journalist")
        )

    def save_published(self, record: dict[str, object]) -> None:
        write_private(self.root / "published.json", json.dumps(record, indent=2).encode())

    def published(self) -> dict[str, object] | None:
        path = self.root / "published.json"
        if not path.exists():
            return None
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise StateError(f"{path} is damaged: {exc}") from None
        if not isinstance(loaded, dict):
            raise StateError(f"{path} is damaged")
        return loaded
