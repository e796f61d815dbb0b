"""`sealdrop-onion client ...`: the journalist devices allowed on the journalist onion."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path
from typing import Any

from onion import connection, control, sync
from onion.errors import OnionError
from onion.state import State


def state_of(args: argparse.Namespace) -> State:
    root = args.state_dir
    if root is None:
        data_dir = os.environ.get("SEALDROP_DATA_DIR")
        if not data_dir:
            raise OnionError(
                "give --state-dir, or set SEALDROP_DATA_DIR (state goes in its onion/)"
            )
        root = Path(data_dir) / "onion"
    return State(Path(root)).open()


def cmd_client_add(args: argparse.Namespace) -> int:
    state = state_of(args)
    new = state.clients.add(args.name)
    print(new.auth_private)
    print(
        f"# Give the line above to {args.name}'s device once; it is not kept here. Tor Browser:"
        f" paste {new.keys.private_b32} when it asks for the key of {new.address}.onion."
        f" Tor: save the line as {args.name}.auth_private in its ClientOnionAuthDir.",
        file=sys.stderr,
    )
    _apply_clients(args, state)
    return 0


def cmd_client_list(args: argparse.Namespace) -> int:
    clients = state_of(args).clients.entries()
    for client in clients:
        print(f"{client.name}\t{client.added.isoformat()}\t{client.public_b32}")
    print(f"{len(clients)} device(s) authorized", file=sys.stderr)
    return 0


def cmd_client_revoke(args: argparse.Namespace) -> int:
    state = state_of(args)
    state.clients.revoke(args.name)
    print(f"{args.name} revoked")
    _apply_clients(args, state)
    return 0


def read_spool(directory: str) -> sync.Spool:
    spool = sync.read_spool(Path(directory))
    for problem in spool.problems:
        print(f"sealdrop-onion: {problem}", file=sys.stderr)
    return spool


def cmd_client_sync(args: argparse.Namespace) -> int:
    spool = read_spool(args.spool)

    def connect() -> contextlib.AbstractContextManager[object]:
        return connection.connected(args.control)

    if args.no_reload and not args.hs_dir:
        raise OnionError("--no-reload is for torrc mode: give --hs-dir too")
    if args.hs_dir:
        done = sync.sync_torrc(
            spool,
            Path(args.hs_dir).resolve(),
            None if args.no_reload else connect,
            timeout=args.timeout,
            force=args.force,
        )
    else:
        done = sync.sync_control(
            spool, state_of(args), connect, timeout=args.timeout, force=args.force
        )
    print(done)
    return 1 if spool.problems else 0


def _apply_clients(args: argparse.Namespace, state: State) -> None:
    """Tell a tor that publishes through its control port; torrc mode is told how to apply."""
    if state.published() is None:
        print(
            "torrc mode: run `sealdrop-onion torrc` again, then reload tor (SIGHUP)",
            file=sys.stderr,
        )
        return
    with connection.connected(args.control) as controller:
        print(control.sync_clients(controller, state, timeout=args.timeout))


def add_commands(commands: Any) -> None:
    """Register `client` (also `clients`) on the top-level subparsers."""
    client = commands.add_parser(
        "client", aliases=["clients"], help="journalist devices allowed on the journalist onion"
    )
    client_commands = client.add_subparsers(dest="client_command", required=True)
    add = client_commands.add_parser("add", help="authorize a device; print its key once")
    add.add_argument("name")
    add.set_defaults(func=cmd_client_add)
    client_commands.add_parser("list", help="list authorized devices").set_defaults(
        func=cmd_client_list
    )
    revoke = client_commands.add_parser("revoke", help="withdraw a device's key")
    revoke.add_argument("name")
    revoke.set_defaults(func=cmd_client_revoke)
    sync_parser = client_commands.add_parser(
        "sync", help="make tor accept exactly the device keys in a spool directory"
    )
    sync_parser.add_argument(
        "--from",
        dest="spool",
        required=True,
        metavar="DIR",
        help="the spool Sealdrop writes (SEALDROP_ONION_CLIENTS_DIR)",
    )
    sync_parser.add_argument(
        "--hs-dir",
        metavar="DIR",
        help="torrc mode: the journalist onion's HiddenServiceDir, e.g. "
        "/var/lib/tor/sealdrop/journalist (without it: control-port mode, the state directory)",
    )
    sync_parser.add_argument(
        "--force", action="store_true", help="apply even if the list looks unchanged"
    )
    sync_parser.add_argument(
        "--no-reload",
        action="store_true",
        help="torrc mode: write authorized_clients/ only, without asking tor to apply it "
        "(a deployment, before tor has loaded the service); a later sync applies it",
    )
    sync_parser.set_defaults(func=cmd_client_sync)
