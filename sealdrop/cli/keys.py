"""`sealdrop keys list | add FILE | retire FINGERPRINT`: the reader keys items are encrypted to.

Each change is recorded with its day and counts from the next upload on: running servers read
the active keys from the database for every upload, so nothing needs a restart.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from sealdrop.config import Config
from sealdrop.crypto.gpg import Gpg
from sealdrop.errors import SealdropError
from sealdrop.runtime.instance import open_instance
from sealdrop.services import reader_keys


def read_key_file(path: str) -> str:
    """The armored key in `path`; one clear error if it cannot be read or is not armored."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SealdropError(f"cannot read the key file {path}: {exc}") from None
    if "BEGIN PGP" not in text:
        raise SealdropError(f"{path} is not an ASCII-armored OpenPGP key")
    return text


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


@contextlib.contextmanager
def _session(config: Config) -> Iterator[tuple[Session, Gpg]]:
    inst = open_instance(config)
    try:
        with inst.sessions() as session:
            yield session, inst.gpg
    finally:
        inst.close()


def cmd_list(config: Config, _args: argparse.Namespace) -> int:
    with _session(config) as (session, gpg):
        statuses = reader_keys.statuses(session, gpg)
    for status in statuses:
        print(reader_keys.describe(status))
    if not statuses:
        print("no reader key yet: add one with `sealdrop keys add FILE`")
    return 0


def cmd_add(config: Config, args: argparse.Namespace) -> int:
    armored = read_key_file(args.file)
    with _session(config) as (session, gpg):
        key = reader_keys.add_key(session, gpg, armored, today=_today())
        active = len(reader_keys.active_keys(session))
    print(f"added reader key {key.fingerprint}: new items go to {active} active key(s)")
    print("before retiring another key, check that its reader opens a test submission")
    return 0


def cmd_retire(config: Config, args: argparse.Namespace) -> int:
    with _session(config) as (session, gpg):
        reader_keys.retire_key(session, gpg, args.fingerprint, today=_today())
        active = len(reader_keys.active_keys(session))
    print(f"retired reader key {args.fingerprint}: new items go to {active} active key(s)")
    print("keep its private key until everything only it opens has been read (`sealdrop check`)")
    return 0


def add_parser(commands: Any) -> None:
    """The `keys` command and its three subcommands, under the main parser's `commands`."""
    keys = commands.add_parser("keys", help="list, add or retire the reader keys")
    actions = keys.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="every reader key, its state and what it opens")
    listing.set_defaults(func=cmd_list)
    add = actions.add_parser("add", help="add an active reader key (an armored public key)")
    add.add_argument("file", metavar="FILE")
    add.set_defaults(func=cmd_add)
    retire = actions.add_parser("retire", help="stop encrypting to a key; what it opens stays")
    retire.add_argument("fingerprint", metavar="FINGERPRINT")
    retire.set_defaults(func=cmd_retire)
