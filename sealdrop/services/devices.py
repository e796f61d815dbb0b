"""Journalist devices on the journalist onion: make a client-auth key, list, revoke.

The core makes the x25519 pair, keeps the public half in the database and in the device spool
(what Tor's sync applies), and hands the private half back once. Callers audit and commit; the
spool changes inside the caller's transaction, in the direction that fails closed: a revoked key
leaves the spool before the commit, so a failed commit can leave a device listed but locked out,
never one revoked but still let in.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from sealdrop.config import Config
from sealdrop.crypto.device_keys import (
    AUTH_PREFIX,
    DeviceKeyPair,
    DevicePrivateLine,
    bare_onion,
    fingerprint,
    parse_public,
)
from sealdrop.db.models import Journalist, JournalistDevice
from sealdrop.errors import DeviceInvalid, NotFound
from sealdrop.storage.device_spool import DeviceSpool

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._'-]{0,63}$")
MAX_NAME_CHARS = 64


@dataclass(frozen=True)
class NewDevice:
    """A device just authorized. `private_line` is shown once and never stored."""

    device: JournalistDevice
    private_line: DevicePrivateLine

    @property
    def private_key(self) -> str:
        """The part Tor Browser asks for: the base32 private key alone."""
        return self.private_line.rsplit(":", 1)[1]


def fingerprint_of(device: JournalistDevice) -> str:
    return fingerprint(device.public_key)


def describe(device: JournalistDevice) -> str:
    """How the audit trail and the lists name a device: never anything secret."""
    return f"{device.journalist.username}: {device.name} ({fingerprint(device.public_key)})"


def _clean_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not NAME_PATTERN.match(cleaned):
        raise DeviceInvalid(
            f"A device name has 1 to {MAX_NAME_CHARS} characters: letters, digits, spaces, "
            "'.', '_', \"'\" or '-' (for example: laptop, work phone)."
        )
    return cleaned


def _spool(config: Config) -> DeviceSpool:
    return DeviceSpool(config.device_spool)


def create(
    session: Session, config: Config, *, journalist: Journalist, name: str, today: dt.date
) -> NewDevice:
    """Authorize a new device of `journalist` (flushed and spooled; the caller commits)."""
    address = bare_onion(config.journalist.onion or "")
    if address is None:
        raise DeviceInvalid(
            "The journalist onion's address is not configured (SEALDROP_JOURNALIST_ONION): "
            "a device key needs it."
        )
    cleaned = _clean_name(name)
    taken = select(JournalistDevice).where(
        JournalistDevice.journalist_id == journalist.id, JournalistDevice.name == cleaned
    )
    if session.scalar(taken) is not None:
        raise DeviceInvalid(f"{journalist.username} already has a device named {cleaned!r}.")
    keys = DeviceKeyPair.generate()
    device = JournalistDevice(
        journalist=journalist, name=cleaned, public_key=keys.public_b32, created_on=today
    )
    session.add(device)
    session.flush()
    _spool(config).write(device.uuid, keys.auth_line())
    return NewDevice(device, keys.private_line(address))


@dataclass(frozen=True)
class Imported:
    """A device whose public key was given; `created` is False when it was there already."""

    device: JournalistDevice
    created: bool


def _clean_public_key(text: str) -> str:
    line = text.strip()
    if re.match(r"^[a-z2-7]{56}(\.onion)?:", line):
        raise DeviceInvalid(
            "That is a device's PRIVATE key line (address:descriptor:x25519:key): give the "
            "public half only, and make the device a new pair, as this one has been seen."
        )
    bare = line.removeprefix(AUTH_PREFIX).upper()
    key = parse_public(AUTH_PREFIX + bare)
    if key is None or DeviceKeyPair.canonical_b32(key) != key:
        raise DeviceInvalid(
            "A device public key is the 52 base32 characters (A-Z, 2-7) of an x25519 key, "
            "optionally after descriptor:x25519: (as in Tor's authorized_clients files)."
        )
    return key


def import_public(
    session: Session,
    config: Config,
    *,
    journalist: Journalist,
    name: str,
    public_key: str,
    today: dt.date,
) -> Imported:
    """Authorize a device whose key pair was made elsewhere (a deployment's inventory): only
    its public half comes here. The same name with the same key again changes nothing but a
    missing spool file; a name or key already used otherwise is refused (flushed and spooled;
    the caller commits)."""
    cleaned = _clean_name(name)
    key = _clean_public_key(public_key)
    named = session.scalar(
        select(JournalistDevice).where(
            JournalistDevice.journalist_id == journalist.id, JournalistDevice.name == cleaned
        )
    )
    holder = session.scalar(select(JournalistDevice).where(JournalistDevice.public_key == key))
    if named is not None and named.public_key == key:
        spool = _spool(config)
        if named.uuid not in spool.device_ids():
            spool.write(named.uuid, AUTH_PREFIX + key)
        return Imported(named, created=False)
    if named is not None:
        raise DeviceInvalid(
            f"{journalist.username} already has a device named {cleaned!r} with another key: "
            f"revoke it first (sealdrop journalist devices revoke {journalist.username} NAME)."
        )
    if holder is not None:
        raise DeviceInvalid(f"That key is already authorized, as {describe(holder)}.")
    device = JournalistDevice(journalist=journalist, name=cleaned, public_key=key, created_on=today)
    session.add(device)
    session.flush()
    _spool(config).write(device.uuid, AUTH_PREFIX + key)
    return Imported(device, created=True)


def everyone(session: Session) -> list[JournalistDevice]:
    query = (
        select(JournalistDevice)
        .join(JournalistDevice.journalist)
        .order_by(Journalist.username, JournalistDevice.name)
    )
    return list(session.scalars(query))


def by_uuid(session: Session, device_uuid: str) -> JournalistDevice:
    found = session.scalar(select(JournalistDevice).where(JournalistDevice.uuid == device_uuid))
    if found is None:
        raise NotFound("There is no such device.")
    return found


def by_name(session: Session, journalist: Journalist, name: str) -> JournalistDevice:
    found = session.scalar(
        select(JournalistDevice).where(
            JournalistDevice.journalist_id == journalist.id,
            JournalistDevice.name == " ".join(name.split()),
        )
    )
    if found is None:
        raise NotFound(f"{journalist.username} has no device named {name!r}.")
    return found


def revoke(session: Session, config: Config, device: JournalistDevice) -> None:
    """Take the key out of the spool first, then the row (flushed; the caller commits)."""
    _spool(config).remove(device.uuid)
    session.delete(device)
    session.flush()


def revoke_all_of(session: Session, config: Config, journalist: Journalist) -> list[str]:
    """Revoke every device of a journalist (before the account goes); their descriptions."""
    devices = session.scalars(
        select(JournalistDevice).where(JournalistDevice.journalist_id == journalist.id)
    ).all()
    described = [describe(device) for device in devices]
    for device in devices:
        revoke(session, config, device)
    return described


def respool(session: Session, config: Config) -> None:
    """Make the spool hold exactly the devices in the database: after a restore (the archive
    keeps the database, not the spool) or a spool lost by hand. Run by `sealdrop init`."""
    spool = _spool(config)
    wanted = {device.uuid: device for device in everyone(session)}
    for device_id in spool.device_ids() - set(wanted):
        spool.remove(device_id)
    for device_id, device in wanted.items():
        spool.write(device_id, AUTH_PREFIX + device.public_key)
