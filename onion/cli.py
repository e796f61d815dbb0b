"""`sealdrop-onion`: Sealdrop's onion services, for operators; one line per failure.

A program of its own, beside `sealdrop`: the onion package imports no other project package,
so it is told where to keep its state (`--state-dir`, default `$SEALDROP_DATA_DIR/onion`) and
where the web apps listen (`--source-target`, `--journalist-target`, Sealdrop's default binds).
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from onion import clients_cli, connection, control, sync, torrc
from onion.clients_cli import read_spool as _read_spool
from onion.clients_cli import state_of as _state
from onion.errors import OnionError
from onion.settings import Defences, Plan
from onion.state import State


def _plan(args: argparse.Namespace) -> Plan:
    defences = Defences(
        pow=args.pow,
        pow_queue_rate=args.pow_queue_rate,
        pow_queue_burst=args.pow_queue_burst,
        max_streams=args.max_streams,
        max_streams_close_circuit=args.max_streams_close_circuit,
        intro_dos=args.intro_dos,
        intro_rate_per_sec=args.intro_rate,
        intro_burst_per_sec=args.intro_burst,
    )
    return Plan(args.source_target, args.journalist_target, defences)


def cmd_address(args: argparse.Namespace) -> int:
    state = _state(args)
    for service in ("source", "journalist"):
        print(f"{service} {state.address(service)}.onion")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    with connection.connected(args.control) as controller:
        print(f"tor {controller.get_version()} reachable")
    return 0


WATCH_SECONDS = 1.0


def cmd_publish(args: argparse.Namespace) -> int:
    state, plan = _state(args), _plan(args)
    if args.clients_from:
        spool = _read_spool(args.clients_from)
        sync.write_clients(state.clients.directory, spool.clients, lock_when_empty=False)
    with connection.connected(args.control) as controller:
        added = control.publish(controller, state, plan, detach=not args.hold, timeout=args.timeout)
        for service, new in added.items():
            address = state.address(service)
            if service == "journalist" and not state.clients.entries():
                print(f"{service} {address}.onion not published: no device is authorized")
            else:
                print(f"{service} {address}.onion {'published' if new else 'already published'}")
        print("ready", flush=True)
        if args.hold:
            _hold(controller, state, plan, args)
    return 0


def _hold(controller: object, state: State, plan: Plan, args: argparse.Namespace) -> None:
    """Keep the control connection (and so the services) until SIGTERM, SIGINT or SIGHUP; with
    --clients-from, apply the spool's devices each time it changes (the demo's admin pages)."""
    stop = threading.Event()

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, _stop)
    if not args.clients_from:
        stop.wait()
        return
    spool_dir = Path(args.clients_from)
    seen = sync.signature(spool_dir)
    while not stop.wait(WATCH_SECONDS):
        now = sync.signature(spool_dir)
        if now == seen:
            continue
        seen = now
        try:
            done = sync.sync_control(
                _read_spool(args.clients_from),
                state,
                lambda: contextlib.nullcontext(controller),
                timeout=args.timeout,
                held=plan,
            )
        except OnionError as exc:
            done = f"sealdrop-onion: {exc}"
        print(done, flush=True)


def cmd_unpublish(args: argparse.Namespace) -> int:
    state = _state(args)
    with connection.connected(args.control) as controller:
        for service in ("source", "journalist"):
            address = state.address(service)
            gone = control.remove_service(controller, address)
            print(f"{service} {address}.onion {'removed' if gone else 'was not published'}")
    (state.root / "published.json").unlink(missing_ok=True)
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    state = _state(args)
    devices = len(state.clients.entries())
    try:
        with connection.connected(args.control) as controller:
            found = control.status(controller, state)
    except OnionError as exc:
        for service in ("source", "journalist"):
            print(f"{service}\t{state.address(service)}.onion\tunknown")
        print(f"sealdrop-onion: {exc}", file=sys.stderr)
        return 1
    healthy = True
    for entry in found:
        if entry.service == "journalist" and not devices and not entry.published:
            print(f"{entry.service}\t{entry.address}.onion\tnot published: no device is authorized")
            continue
        healthy = healthy and entry.published
        if entry.published:
            how = "published (control port, detached)" if entry.ephemeral else "published"
        elif entry.ephemeral:
            how = "added, descriptor not built yet"
        else:
            how = "not published by this tor"
        extra = f"\t{devices} device(s) authorized" if entry.service == "journalist" else ""
        print(f"{entry.service}\t{entry.address}.onion\t{how}{extra}")
    return 0 if healthy else 1


def cmd_torrc(args: argparse.Namespace) -> int:
    state = _state(args)
    output = Path(args.output)
    spool = _read_spool(args.clients_from) if args.clients_from else None
    devices = torrc.install(
        state, Path(args.hs_root), output, _plan(args), tor_user=args.tor_user, spool=spool
    )
    if not args.no_verify:
        torrc.verify(output, tor=args.tor)
    print(f"{output} written{'' if args.no_verify else ' and accepted by tor --verify-config'}")
    print(f"source {state.address('source')}.onion")
    if devices or spool is not None:
        print(f"journalist {state.address('journalist')}.onion ({devices} device(s))")
    else:
        print("journalist onion left out: no device is authorized yet")
    print("reload tor to apply (systemctl reload tor, or SIGHUP)", file=sys.stderr)
    return 0


def _add_plan_options(parser: argparse.ArgumentParser) -> None:
    d = Defences()
    group = parser.add_argument_group("services and their defences")
    group.add_argument("--source-target", default=Plan.source_target, metavar="127.0.0.1:PORT")
    group.add_argument("--journalist-target", default=Plan.journalist_target, metavar="ADDR")
    group.add_argument("--pow", action=argparse.BooleanOptionalAction, default=d.pow)
    group.add_argument("--pow-queue-rate", type=int, default=d.pow_queue_rate, metavar="N")
    group.add_argument("--pow-queue-burst", type=int, default=d.pow_queue_burst, metavar="N")
    group.add_argument("--max-streams", type=int, default=d.max_streams, metavar="N")
    group.add_argument(
        "--max-streams-close-circuit",
        action=argparse.BooleanOptionalAction,
        default=d.max_streams_close_circuit,
    )
    group.add_argument("--intro-dos", action=argparse.BooleanOptionalAction, default=d.intro_dos)
    group.add_argument("--intro-rate", type=int, default=d.intro_rate_per_sec, metavar="N")
    group.add_argument("--intro-burst", type=int, default=d.intro_burst_per_sec, metavar="N")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sealdrop-onion", description=__doc__)
    parser.add_argument(
        "--state-dir", help="keys and authorized devices (default: $SEALDROP_DATA_DIR/onion)"
    )
    parser.add_argument(
        "--control",
        help="tor's control socket (a path) or port (127.0.0.1:PORT); "
        "default: /run/tor/control, then 127.0.0.1:9051",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=control.PUBLISH_TIMEOUT_SECONDS,
        help="seconds to wait for tor to publish a service",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("address", help="print both onion addresses").set_defaults(func=cmd_address)
    commands.add_parser("check", help="connect to tor and say so").set_defaults(func=cmd_check)
    clients_cli.add_commands(commands)
    publish = commands.add_parser("publish", help="control-port mode: add both onions to tor")
    _add_plan_options(publish)
    publish.add_argument(
        "--clients-from",
        metavar="DIR",
        help="take the devices from this spool (and, with --hold, follow its changes)",
    )
    publish.add_argument(
        "--hold",
        action="store_true",
        help="keep the onions only while this command runs (the demo), instead of detaching them",
    )
    publish.set_defaults(func=cmd_publish)
    commands.add_parser("unpublish", help="remove both onions from tor").set_defaults(
        func=cmd_unpublish
    )
    commands.add_parser("status", help="addresses and whether tor publishes them").set_defaults(
        func=cmd_status
    )
    render = commands.add_parser("torrc", help="torrc mode: write HiddenServiceDirs and a torrc")
    _add_plan_options(render)
    render.add_argument(
        "--hs-root",
        required=True,
        help="where tor keeps the two services, e.g. /var/lib/tor/sealdrop",
    )
    render.add_argument(
        "--output", required=True, help="the torrc fragment, e.g. /etc/tor/torrc.d/sealdrop.conf"
    )
    render.add_argument("--tor-user", help="give hs-root to this user (debian-tor)")
    render.add_argument(
        "--clients-from",
        metavar="DIR",
        help="devices from Sealdrop's spool, kept current by `client sync`; the journalist "
        "onion is then always rendered (with no device, it admits nobody)",
    )
    render.add_argument("--tor", default="tor", help="the tor program used to verify")
    render.add_argument("--no-verify", action="store_true", help="skip tor --verify-config")
    render.set_defaults(func=cmd_torrc)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return int(args.func(args))
    except OnionError as exc:
        print(f"sealdrop-onion: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
