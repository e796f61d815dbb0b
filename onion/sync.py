"""`sealdrop-onion client sync`: make Tor accept exactly the device keys found in a spool.

The spool (`<data>/onion-clients/` by default) is written by Sealdrop's admin pages and CLI: one
`<device>.auth` file per device, in Tor's `authorized_clients` format, public halves only. The
sync reads it strictly (anything else is reported and left out: leaving a key out fails closed)
and applies it:

- torrc mode (`--hs-dir`): rewrite `<hs-dir>/authorized_clients/`, then have tor drop the
  journalist service (SETCONF without it) and load it again from its torrc (RELOAD). A plain
  reload would only re-encrypt the same descriptor for the new list: same introduction points,
  same descriptor cookie, open circuits kept, so a revoked device holding the descriptor it had
  already fetched could go on connecting for hours. A service dropped and loaded again starts
  afresh: its circuits closed, new introduction points, a new descriptor. The source onion is
  not touched. With no device left, the directory holds one key nobody has (`_no-device.auth`):
  with no key at all tor would serve the onion to everyone.
- control-port mode (no `--hs-dir`): the state directory's list is replaced and the ephemeral
  journalist service removed and added again (no device: it stays down).
"""

from __future__ import annotations

import hashlib
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import stem
import stem.control

from onion import control
from onion.errors import PublishTimeout, StateError, TorRefused
from onion.keys import ClientKeyPair, ServiceKey, parse_auth_line, write_private
from onion.settings import Plan
from onion.state import CLIENT_NAME, State

SUFFIX = ".auth"
LOCK_FILE = "_no-device.auth"  # no spool name starts with "_"
APPLIED_FILE = ".sealdrop-applied"
MAX_LINE_BYTES = 200


@dataclass(frozen=True)
class Spool:
    """The device keys read from a spool: name -> base32 public key, and what was left out."""

    clients: dict[str, str]
    problems: list[str] = field(default_factory=list)

    @property
    def digest(self) -> str:
        listed = "\n".join(f"{name} {key}" for name, key in sorted(self.clients.items()))
        return hashlib.sha256(listed.encode()).hexdigest()


def read_spool(directory: Path) -> Spool:
    if not directory.is_dir():
        raise StateError(f"{directory} is not a directory of device keys (check --from)")
    clients: dict[str, str] = {}
    problems: list[str] = []
    for path in sorted(directory.iterdir()):
        name = path.name
        if name.startswith(".") or not name.endswith(SUFFIX):
            continue  # a write in progress, or not a key file
        stem_name = name.removesuffix(SUFFIX)
        try:
            info = path.lstat()
            if not CLIENT_NAME.match(stem_name):
                raise StateError("not a device name")
            if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_LINE_BYTES:
                raise StateError("not a small regular file")
            clients[stem_name] = parse_auth_line(path.read_text(encoding="ascii"))
        except (OSError, UnicodeError, StateError) as exc:
            problems.append(f"{path}: left out ({exc})")
    return Spool(clients, problems)


def _current(directory: Path) -> dict[str, str]:
    found = {}
    for path in directory.glob(f"*{SUFFIX}"):
        try:
            found[path.name] = path.read_text(encoding="ascii")
        except (OSError, UnicodeError):
            found[path.name] = ""
    return found


def write_clients(directory: Path, clients: dict[str, str], *, lock_when_empty: bool) -> bool:
    """Make `directory` hold exactly `clients` (or the lock key); True if anything changed."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    current = _current(directory)
    wanted = {f"{name}{SUFFIX}": f"descriptor:x25519:{key}\n" for name, key in clients.items()}
    if not wanted and lock_when_empty:
        if set(current) == {LOCK_FILE}:
            return False
        wanted = {LOCK_FILE: ClientKeyPair.generate().auth_line() + "\n"}  # private half dropped
    changed = False
    for name, line in wanted.items():
        if current.get(name) != line:
            write_private(directory / name, line.encode("ascii"))
            changed = True
    for name in set(current) - set(wanted):
        (directory / name).unlink()
        changed = True
    return changed


def hidden_service_options(controller: stem.control.Controller) -> list[tuple[str, str]]:
    """Tor's onion service options in order, as GETCONF HiddenServiceOptions gives them."""
    reply = controller.msg("GETCONF HiddenServiceOptions")
    options = []
    for _code, _divider, content in reply.content():
        key, sep, value = str(content).partition("=")
        if sep:
            options.append((key, value))
    return options


def without_service(options: list[tuple[str, str]], hs_dir: Path) -> list[tuple[str, str]]:
    """The options with the block of one HiddenServiceDir (and its lines) taken out."""
    kept, skipping = [], False
    for key, value in options:
        if key == "HiddenServiceDir":
            skipping = Path(value).resolve() == hs_dir.resolve()
        if not skipping:
            kept.append((key, value))
    return kept


def _set_services(controller: stem.control.Controller, options: list[tuple[str, str]]) -> None:
    if options:
        controller.set_options(options)
    else:
        controller.msg("SETCONF HiddenServiceDir")  # no onion left at all


def reload_service(controller: stem.control.Controller, hs_dir: Path, *, timeout: float) -> None:
    """Drop the service kept in `hs_dir`, reload tor's torrc (which has it), and wait until its
    new descriptor is uploaded."""
    options = hidden_service_options(controller)
    others = without_service(options, hs_dir)
    if others == options:
        raise StateError(
            f"tor serves no onion from {hs_dir} (is Sealdrop's torrc fragment included?)"
        )
    address = ServiceKey.read(hs_dir).address
    uploads = control.Uploads(address)
    controller.add_event_listener(uploads, stem.control.EventType.HS_DESC)
    try:
        try:
            _set_services(controller, others)
            reloaded = controller.msg("SIGNAL RELOAD")
            if not reloaded.is_ok():
                raise stem.ControllerError(str(reloaded))
        except stem.ControllerError as exc:
            raise TorRefused(f"tor refused to reload the onion in {hs_dir}: {exc}") from None
        after = hidden_service_options(controller)
        if without_service(after, hs_dir) == after:
            raise TorRefused(
                f"after a reload tor does not serve {hs_dir}: its torrc lost it, or has an error "
                "(see tor's log); the journalist onion is down"
            )
        if not uploads.done.wait(timeout):
            raise PublishTimeout(
                f"Tor did not publish {address}.onion again within {timeout:.0f} s (see its log)"
            )
    finally:
        controller.remove_event_listener(uploads)


def sync_torrc(
    spool: Spool,
    hs_dir: Path,
    connect: Callable[[], Any] | None,
    *,
    timeout: float,
    force: bool = False,
) -> str:
    """`connect` None: write the files only, for a tor that is not running or has not loaded
    the service yet (a deployment, before its torrc is written): tor reads them when it starts
    or reloads, and the next sync with a connection applies them in full (no marker is left)."""
    marker = hs_dir / APPLIED_FILE
    changed = write_clients(hs_dir / "authorized_clients", spool.clients, lock_when_empty=True)
    applied = marker.read_text(encoding="ascii").strip() if marker.exists() else ""
    if not (changed or force or applied != spool.digest):
        return f"unchanged: {len(spool.clients)} device(s)"
    marker.unlink(missing_ok=True)  # until tor has applied the new list
    if connect is None:
        if changed:
            return f"written: {len(spool.clients)} device(s), for tor's next start or reload"
        return f"unchanged on disk: {len(spool.clients)} device(s), not yet applied by tor"
    with connect() as controller:
        reload_service(controller, hs_dir, timeout=timeout)
    write_private(marker, (spool.digest + "\n").encode("ascii"))
    if not spool.clients:
        return "no device is authorized: the journalist onion admits nobody"
    return f"the journalist onion now accepts {len(spool.clients)} device(s)"


def sync_control(
    spool: Spool,
    state: State,
    connect: Callable[[], Any],
    *,
    timeout: float,
    force: bool = False,
    held: Plan | None = None,
) -> str:
    """Control-port mode; `held` as in `control.sync_clients`."""
    clients = state.clients
    changed = write_clients(clients.directory, spool.clients, lock_when_empty=False)
    with connect() as controller:
        running = clients.address in control.running_services(controller)
        if not (changed or force) and running == bool(spool.clients):
            return f"unchanged: {len(spool.clients)} device(s)"
        return control.sync_clients(controller, state, timeout=timeout, held=held)


def signature(directory: Path) -> tuple[tuple[str, int, int], ...]:
    """What changes when a spool changes (names, sizes, times), cheap enough to poll."""
    try:
        entries = sorted(directory.iterdir())
    except OSError:
        return ()
    found = []
    for path in entries:
        try:
            info = path.lstat()
        except OSError:
            continue
        found.append((path.name, info.st_size, info.st_mtime_ns))
    return tuple(found)
