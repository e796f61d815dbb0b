"""`sealdrop journalist ...`: accounts from the server's shell (the first admin, lost factors)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.orm import Session

from sealdrop.config import Config
from sealdrop.crypto import otp
from sealdrop.db.models import Journalist
from sealdrop.domain import passphrases
from sealdrop.errors import NotFound
from sealdrop.runtime.instance import Instance, open_instance
from sealdrop.services import audit, devices, journalists
from sealdrop.services.journalists import Profile, TwoFactor

ACTOR = "server shell"


@contextmanager
def _session(config: Config) -> Iterator[tuple[Instance, Session]]:
    inst = open_instance(config)
    try:
        with inst.sessions() as session:
            yield inst, session
    finally:
        inst.close()


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def _find(session: Session, username: str) -> Journalist:
    found = journalists.by_username(session, username)
    if found is None:
        raise NotFound(f"there is no journalist named {username!r}")
    return found


def _second_factor(args: argparse.Namespace) -> TwoFactor:
    return TwoFactor.hotp(args.hotp_secret) if args.hotp_secret else TwoFactor.new_totp()


def _print_second_factor(config: Config, journalist: Journalist) -> None:
    if journalist.otp_kind == "hotp":
        print("Two-factor: the HOTP hardware token whose secret was given")
        return
    print(f"TOTP secret (enter it in an authenticator app): {journalist.otp_secret}")
    uri = otp.provisioning_uri(
        journalist.otp_secret, account=journalist.username, issuer=config.instance_name
    )
    print(f"or as a URI: {uri}")


def _chosen_passphrase() -> str:
    """One line from stdin (a deployment tool's vault), never from the command line or echo."""
    return sys.stdin.readline().rstrip("\r\n")


def cmd_add(config: Config, args: argparse.Namespace) -> int:
    chosen = args.passphrase_stdin
    passphrase = _chosen_passphrase() if chosen else passphrases.suggest()
    profile = Profile(args.username, args.first_name, args.last_name, is_admin=args.admin)
    with _session(config) as (_inst, session):
        journalist = journalists.create(
            session,
            profile=profile,
            passphrase=passphrase,
            second_factor=_second_factor(args),
            cost=journalists.argon2_cost(config),
            today=_today(),
        )
        role = "admin" if journalist.is_admin else "journalist"
        audit.record(
            session, actor=ACTOR, action=f"add {role}", target=journalist.username, today=_today()
        )
        session.commit()
        print(f"Added {role} {journalist.username}")
        if not chosen:
            print(f"Passphrase (shown once; hand it over in person): {passphrase}")
        _print_second_factor(config, journalist)
    return 0


def cmd_list(config: Config, _args: argparse.Namespace) -> int:
    with _session(config) as (_inst, session):
        accounts = journalists.everyone(session)
        for journalist in accounts:
            role = "admin" if journalist.is_admin else "journalist"
            last = journalist.last_login.isoformat() if journalist.last_login else "never"
            print(f"{journalist.username}\t{role}\t{journalist.otp_kind}\tlast login {last}")
        if not accounts:
            print("no journalists yet: add the first admin with `sealdrop journalist add --admin`")
    return 0


def cmd_reset_2fa(config: Config, args: argparse.Namespace) -> int:
    with _session(config) as (_inst, session):
        journalist = _find(session, args.username)
        journalists.reset_two_factor(session, journalist, second_factor=_second_factor(args))
        audit.record(
            session, actor=ACTOR, action="reset 2fa", target=journalist.username, today=_today()
        )
        session.commit()
        print(f"Two-factor reset for {journalist.username}; their sessions and tokens ended")
        _print_second_factor(config, journalist)
    return 0


def cmd_reset_passphrase(config: Config, args: argparse.Namespace) -> int:
    passphrase = passphrases.suggest()
    with _session(config) as (_inst, session):
        journalist = _find(session, args.username)
        journalists.change_passphrase(
            session, journalist, new=passphrase, cost=journalists.argon2_cost(config)
        )
        audit.record(
            session,
            actor=ACTOR,
            action="reset passphrase",
            target=journalist.username,
            today=_today(),
        )
        session.commit()
        print(f"New passphrase for {journalist.username} (shown once): {passphrase}")
    return 0


def cmd_delete(config: Config, args: argparse.Namespace) -> int:
    with _session(config) as (_inst, session):
        journalist = _find(session, args.username)
        journalists.require_removable(session, journalist)
        for described in devices.revoke_all_of(session, config, journalist):
            audit.record(
                session, actor=ACTOR, action="revoke device", target=described, today=_today()
            )
        journalists.remove(session, journalist)
        audit.record(session, actor=ACTOR, action="delete", target=args.username, today=_today())
        session.commit()
        print(f"Deleted {args.username}; their replies remain")
    return 0


def cmd_device_add(config: Config, args: argparse.Namespace) -> int:
    with _session(config) as (_inst, session):
        journalist = _find(session, args.username)
        created = devices.create(
            session, config, journalist=journalist, name=args.name, today=_today()
        )
        described = devices.describe(created.device)
        audit.record(session, actor=ACTOR, action="add device", target=described, today=_today())
        session.commit()
        print(f"Authorized {described}")
        print(
            f"Key line (shown once; a tor takes it as <name>.auth_private): {created.private_line}"
        )
        print(f"Tor Browser asks for: {created.private_key}")
    return 0


def cmd_device_import(config: Config, args: argparse.Namespace) -> int:
    with _session(config) as (_inst, session):
        imported = devices.import_public(
            session,
            config,
            journalist=_find(session, args.username),
            name=args.name,
            public_key=args.public_key,
            today=_today(),
        )
        described = devices.describe(imported.device)
        if not imported.created:
            session.commit()  # nothing in the database changed; a lost spool file was put back
            print(f"Unchanged: {described} is authorized with that key")
            return 0
        audit.record(session, actor=ACTOR, action="import device", target=described, today=_today())
        session.commit()
        print(f"Imported {described}")
    return 0


def cmd_device_list(config: Config, _args: argparse.Namespace) -> int:
    with _session(config) as (_inst, session):
        found = devices.everyone(session)
        for device in found:
            print(
                f"{device.journalist.username}\t{device.name}\t{device.created_on.isoformat()}"
                f"\t{devices.fingerprint_of(device)}"
            )
        if not found:
            print("no devices yet: `sealdrop journalist devices add USERNAME DEVICE`")
    return 0


def cmd_device_revoke(config: Config, args: argparse.Namespace) -> int:
    with _session(config) as (_inst, session):
        device = devices.by_name(session, _find(session, args.username), args.name)
        described = devices.describe(device)
        devices.revoke(session, config, device)
        audit.record(session, actor=ACTOR, action="revoke device", target=described, today=_today())
        session.commit()
        print(f"Revoked {described}")
    return 0


def _add_device_commands(sub: Any) -> None:
    parser = sub.add_parser(
        "devices", aliases=["device"], help="keys of journalist devices for the journalist onion"
    )
    commands = parser.add_subparsers(dest="device_command", required=True)
    add = commands.add_parser("add", help="make a device key; prints its private half once")
    add.add_argument("username")
    add.add_argument("name", help="what the device is called, e.g. laptop")
    add.set_defaults(func=cmd_device_add)
    imported = commands.add_parser(
        "import", help="authorize a device whose key pair was made on it: its public half only"
    )
    imported.add_argument("username")
    imported.add_argument("name", help="what the device is called, e.g. laptop")
    imported.add_argument(
        "--public-key",
        required=True,
        help="the 52 base32 characters of its x25519 public key (descriptor:x25519: optional)",
    )
    imported.set_defaults(func=cmd_device_import)
    commands.add_parser("list", help="list the devices").set_defaults(func=cmd_device_list)
    revoke = commands.add_parser("revoke", help="revoke a device's key")
    revoke.add_argument("username")
    revoke.add_argument("name")
    revoke.set_defaults(func=cmd_device_revoke)


def add_commands(commands: Any) -> None:
    """Register `sealdrop journalist ...` on the top-level subparsers."""
    parser = commands.add_parser("journalist", help="manage journalist accounts")
    sub = parser.add_subparsers(dest="journalist_command", required=True)
    add = sub.add_parser("add", help="add an account; prints its passphrase and TOTP secret")
    add.add_argument("username")
    add.add_argument("--admin", action="store_true", help="may manage accounts and settings")
    add.add_argument("--first-name")
    add.add_argument("--last-name")
    add.add_argument(
        "--passphrase-stdin",
        action="store_true",
        help="read the passphrase from one line of stdin (checked like any chosen one)",
    )
    add.set_defaults(func=cmd_add)
    listing = sub.add_parser("list", help="list the accounts")
    listing.set_defaults(func=cmd_list)
    reset = sub.add_parser("reset-2fa", help="a new second factor; ends the user's sessions")
    reset.add_argument("username")
    reset.set_defaults(func=cmd_reset_2fa)
    for command in (add, reset):
        command.add_argument("--hotp-secret", help="base32 secret of an HOTP hardware token")
    passphrase = sub.add_parser("reset-passphrase", help="a new generated passphrase")
    passphrase.add_argument("username")
    passphrase.set_defaults(func=cmd_reset_passphrase)
    remove = sub.add_parser("delete", help="delete an account (its replies remain)")
    remove.add_argument("username")
    remove.set_defaults(func=cmd_delete)
    _add_device_commands(sub)
