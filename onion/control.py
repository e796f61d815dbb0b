"""Control-port mode: publish both services as ephemeral onions through a running tor
(reached through `onion.connection`).

Services are added with the key kept in the state directory, so their addresses never change.
With `detach=True` they live in tor until it stops, whatever happens to this process (how an
operator runs them: `sealdrop-onion publish`); without it they vanish with the control connection
(how the demo runs them: its services go when it does).
"""

from __future__ import annotations

import base64
import contextlib
import threading
from dataclasses import dataclass
from typing import Any

import stem
import stem.connection
import stem.control
import stem.response.events
import stem.version

from onion.errors import (
    PublishTimeout,
    TorRefused,
    TorTooOld,
)
from onion.keys import ServiceKey
from onion.settings import Defences, Plan
from onion.state import SERVICES, State

# ADD_ONION learnt the PoW keywords in 0.4.8.1.
POW_VERSION = stem.version.Version("0.4.8.1")
PUBLISH_TIMEOUT_SECONDS = 180.0


def add_onion_command(
    key: ServiceKey,
    target: str,
    defences: Defences,
    *,
    clients: list[str] | None = None,
    detach: bool = True,
    pow_supported: bool = True,
) -> str:
    """The ADD_ONION line for one service (stem 1.8 has no keyword for PoW, so we write it)."""
    flags = []
    if detach:
        flags.append("Detach")
    if clients is not None:
        flags.append("V3Auth")
    if defences.max_streams and defences.max_streams_close_circuit:
        flags.append("MaxStreamsCloseCircuit")
    parts = ["ADD_ONION", key.control_blob]
    if flags:
        parts.append("Flags=" + ",".join(flags))
    if defences.max_streams:
        parts.append(f"MaxStreams={defences.max_streams}")
    if defences.pow and pow_supported:
        parts += [
            "PoWDefensesEnabled=1",
            f"PoWQueueRate={defences.pow_queue_rate}",
            f"PoWQueueBurst={defences.pow_queue_burst}",
        ]
    parts.append(f"Port=80,{target}")
    parts += [f"ClientAuthV3={public}" for public in clients or []]
    return " ".join(parts)


class Uploads:
    """Waits for the first HS_DESC UPLOADED of one address (tor omits the address in UPLOADED,
    so an upload is matched by the directory it was sent to, as stem does)."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.directories: set[str] = set()
        self.done = threading.Event()

    def __call__(self, event: Any) -> None:
        if event.action == "UPLOAD" and event.address == self.address:
            self.directories.add(str(event.directory))
        elif event.action == "UPLOADED" and (
            event.address == self.address or str(event.directory) in self.directories
        ):
            self.done.set()


def _pow_supported(controller: stem.control.Controller, defences: Defences) -> bool:
    if not defences.pow:
        return False
    version = stem.version.Version(str(controller.get_version()).split(maxsplit=1)[0])
    if version < POW_VERSION:
        raise TorTooOld(
            f"tor {version} cannot defend an onion with proof of work (tor {POW_VERSION} or "
            "later, built with the pow module); upgrade tor or publish with --no-pow"
        )
    return True


def add_service(
    controller: stem.control.Controller,
    key: ServiceKey,
    target: str,
    defences: Defences,
    *,
    clients: list[str] | None = None,
    detach: bool = True,
    timeout: float = PUBLISH_TIMEOUT_SECONDS,
) -> None:
    """Add one service and wait until tor has uploaded its descriptor to a directory."""
    command = add_onion_command(
        key,
        target,
        defences,
        clients=clients,
        detach=detach,
        pow_supported=_pow_supported(controller, defences),
    )
    uploads = Uploads(key.address)
    controller.add_event_listener(uploads, stem.control.EventType.HS_DESC)
    try:
        reply = controller.msg(command)
        if not reply.is_ok():
            raise TorRefused(f"Tor refused the onion {key.address}.onion: {reply}")
        if not uploads.done.wait(timeout):
            raise PublishTimeout(
                f"Tor did not publish {key.address}.onion within {timeout:.0f} s "
                "(is it connected to the Tor network? see its log)"
            )
    finally:
        controller.remove_event_listener(uploads)


def running_services(controller: stem.control.Controller) -> set[str]:
    """Addresses of the ephemeral services tor holds (detached, and this connection's)."""
    found: set[str] = set()
    for key in ("onions/detached", "onions/current"):
        with contextlib.suppress(stem.ControllerError):
            found.update(str(controller.get_info(key, "")).split())
    return found


def remove_service(controller: stem.control.Controller, address: str) -> bool:
    """Remove an ephemeral service; False when tor had no such service."""
    reply = controller.msg(f"DEL_ONION {address}")
    return bool(reply.is_ok())


def has_descriptor(controller: stem.control.Controller, address: str) -> bool:
    """Whether tor hosts this onion and has built its descriptor (torrc or ephemeral)."""
    try:
        return bool(controller.get_info(f"hs/service/desc/id/{address}"))
    except stem.ControllerError:
        return False


def publish(
    controller: stem.control.Controller,
    state: State,
    plan: Plan,
    *,
    detach: bool = True,
    timeout: float = PUBLISH_TIMEOUT_SECONDS,
) -> dict[str, bool]:
    """Add whichever of the two services tor does not hold yet, or holds with other settings
    than `plan` (then it is removed and added again, same address); say which were added.

    The journalist onion is published only with at least one authorized device: without
    ClientAuthV3, tor would make it public.
    """
    running = running_services(controller)
    record = state.published()
    before = Plan.from_record(record) if record else None
    added = {}
    for service in SERVICES:
        key = state.key(service)
        clients = state.clients.public_keys() if service == "journalist" else None
        if key.address in running:
            unchanged = before is not None and (
                before.target(service),
                before.defences,
            ) == (plan.target(service), plan.defences)
            if unchanged:
                added[service] = False
                continue
            remove_service(controller, key.address)  # new target or defences: add it again
        if clients == []:
            added[service] = False
            continue
        add_service(
            controller,
            key,
            plan.target(service),
            plan.defences,
            clients=clients,
            detach=detach,
            timeout=timeout,
        )
        added[service] = True
    if detach:
        state.save_published(plan.as_record())
    return added


def sync_clients(
    controller: stem.control.Controller,
    state: State,
    *,
    timeout: float = PUBLISH_TIMEOUT_SECONDS,
    held: Plan | None = None,
) -> str:
    """Make the published journalist onion accept exactly the stored devices.

    Tor cannot change an ephemeral service's clients in place, so the journalist service is
    removed and added again with the same key (same address): new introduction points and
    descriptor, its circuits closed. The source onion is not touched. `held` is the plan of
    onions this connection holds (`publish --hold`), which stay tied to it; otherwise the plan
    is the one `publish` recorded. Returns what was done, for the operator.
    """
    record = state.published()
    key = state.key("journalist")
    if held is None and record is None:
        return "not published through this tor's control port: nothing to update"
    plan = held or Plan.from_record(record or {})
    clients = state.clients.public_keys()
    was_running = key.address in running_services(controller)
    if was_running:
        remove_service(controller, key.address)
    if not clients:
        return "no device is authorized: the journalist onion is now down"
    add_service(
        controller,
        key,
        plan.journalist_target,
        plan.defences,
        clients=clients,
        detach=held is None,
        timeout=timeout,
    )
    return f"the journalist onion now accepts {len(clients)} device(s)"


@dataclass(frozen=True)
class ServiceStatus:
    service: str
    address: str
    ephemeral: bool  # held by tor through the control port (not from its torrc)
    published: bool  # tor has a descriptor for it


def status(controller: stem.control.Controller, state: State) -> list[ServiceStatus]:
    running = running_services(controller)
    return [
        ServiceStatus(
            service,
            address,
            address in running,
            has_descriptor(controller, address),
        )
        for service in SERVICES
        for address in [state.address(service)]
    ]


def register_client_key(
    controller: stem.control.Controller, address: str, private_key: bytes
) -> None:
    """Client side: give this tor a device's private key for an onion (ONION_CLIENT_AUTH_ADD;
    stem 1.8 has no wrapper). For tests and for a laptop that both serves and visits."""
    blob = base64.b64encode(private_key).decode("ascii")
    reply = controller.msg(f"ONION_CLIENT_AUTH_ADD {address} x25519:{blob}")
    # 251 "Registered client and decrypted desc", 252 "Client for onion existed and replaced"
    if not str(reply.content()[0][0]).startswith("25"):
        raise TorRefused(f"Tor refused the client key for {address}.onion: {reply}")
