"""The validate role: each wrong inventory stops the play on the controller with one clear message.

The host named in these inventories does not exist: validate runs on localhost first, so a
refused inventory never reaches a server. The last case shows a good inventory gets past it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from onion.keys import ClientKeyPair, ServiceKey
from tests.ansible.deploy import PASSPHRASE, host_vars, make_keys, play, write_inventory

pytestmark = [pytest.mark.ansible, pytest.mark.slow]

Change = Callable[[dict[str, Any], dict[str, Path]], None]
PRIVATE_LINE = ClientKeyPair.generate().auth_private_line(ServiceKey.generate().address)


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return make_keys(tmp_path_factory.mktemp("keys"))


def set_var(name: str, value: Any) -> Change:
    def change(variables: dict[str, Any], _keys: dict[str, Path]) -> None:
        variables[name] = value

    return change


def drop(name: str) -> Change:
    def change(variables: dict[str, Any], _keys: dict[str, Path]) -> None:
        del variables[name]

    return change


def key_file(variable: str, kind: str) -> Change:
    def change(variables: dict[str, Any], keys: dict[str, Path]) -> None:
        variables[variable] = str(keys[kind])

    return change


def journalist_key(public_key: str) -> Change:
    return set_var("tor_journalist_clients", [{"name": "alice", "public_key": public_key}])


CASES = {
    "no Submission key variable": (
        drop("app_submission_key_file"),
        "app_submission_key_file is not set",
    ),
    "no Submission key file": (
        set_var("app_submission_key_file", "/nonexistent/submission.asc"),
        "which is not a file on this controller",
    ),
    "a Submission key with its secret part": (
        key_file("app_submission_key_file", "secret"),
        "it holds a SECRET key",
    ),
    "an expired Submission key": (
        key_file("app_submission_key_file", "expired"),
        "is expired: make a new key",
    ),
    "a Submission key that cannot encrypt": (
        key_file("app_submission_key_file", "signing-only"),
        "has no valid encryption subkey",
    ),
    "a Submission key file that is no key": (
        key_file("app_submission_key_file", "garbage"),
        "gpg cannot read it as an OpenPGP key",
    ),
    "a backup key with its secret part": (
        key_file("backup_recipient_key_file", "secret"),
        "backup_recipient_key_file",
    ),
    "a short admin passphrase": (
        set_var("app_admin_passphrase", "hunter2hunter2"[:10]),
        "app_admin_passphrase is too weak",
    ),
    "an admin passphrase of few characters": (
        set_var("app_admin_passphrase", "abababababababababab"),
        "app_admin_passphrase is too weak",
    ),
    "an admin passphrase holding the username": (
        set_var("app_admin_passphrase", "admin velvet orbit saddle"),
        "app_admin_passphrase is too weak",
    ),
    "no admin passphrase": (drop("app_admin_passphrase"), "app_admin_passphrase is not set"),
    "a client key that is not base32": (
        journalist_key("not-a-key"),
        "tor_journalist_clients[0] is not a valid client key",
    ),
    "a client key one character short": (
        journalist_key(ClientKeyPair.generate().public_b32[:-1]),
        "tor_journalist_clients[0] is not a valid client key",
    ),
    "a private client line instead of the public key": (
        journalist_key(PRIVATE_LINE),
        "looks like the PRIVATE key line",
    ),
    "no journalist device": (
        set_var("tor_journalist_clients", []),
        "tor_journalist_clients must list at least one device",
    ),
    "a device named twice": (
        set_var(
            "tor_ssh_clients",
            [{"name": "laptop", "public_key": ClientKeyPair.generate().public_b32}] * 2,
        ),
        "tor_ssh_clients names a device twice",
    ),
    "a bad device name": (
        set_var(
            "tor_ssh_clients",
            [{"name": "my laptop", "public_key": ClientKeyPair.generate().public_b32}],
        ),
        "tor_ssh_clients[0] is not a valid client key",
    ),
}


@pytest.mark.parametrize(("change", "says"), list(CASES.values()), ids=list(CASES))
def test_a_wrong_inventory_is_refused_before_any_server(
    tmp_path: Path, keys: dict[str, Path], change: Change, says: str
) -> None:
    # Given an inventory with one thing wrong (its host does not even exist)
    root = tmp_path / "no-such-root"
    variables = host_vars(root, keys)
    change(variables, keys)
    inventory = write_inventory(tmp_path / "inventory.json", root, variables)
    # When the playbook runs
    played = play(inventory)
    # Then it stops in validate, on the controller, saying what is wrong and nothing secret
    assert played.code != 0
    assert says in played.output, played.output[-3000:]
    assert "validate :" in played.output
    assert "common :" not in played.output
    assert PASSPHRASE not in played.output
    assert not root.exists()


def test_an_inventory_without_servers_is_refused(tmp_path: Path) -> None:
    inventory = tmp_path / "inventory.json"
    inventory.write_text('{"sealdrop": {"hosts": {}}}', encoding="utf-8")
    played = play(inventory)
    assert played.code != 0
    assert "The inventory has no host in the group `sealdrop`" in played.output
