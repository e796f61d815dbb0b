"""The validate role: each wrong inventory stops the play on the controller with one clear message.

The hosts named in these inventories do not exist: validate runs on localhost first, so a
refused inventory never reaches a server. Each case is one host of a single inventory, checked
by the validate role alone in one ansible-playbook run (validate_cases.yml); a good host gets
past it; one wrong inventory goes through site.yml itself, to show the play stops there.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from onion.keys import ClientKeyPair, ServiceKey
from tests.ansible.deploy import (
    PASSPHRASE,
    Played,
    host_vars,
    make_keys,
    play,
    write_hosts,
    write_inventory,
)

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
    "an unknown database kind": (
        set_var("app_database", "mysql"),
        "app_database must be sqlite (the default) or postgresql, not mysql",
    ),
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


CASES_PLAYBOOK = Path(__file__).with_name("validate_cases.yml")


@dataclass(frozen=True)
class Verdict:
    refused: bool
    task: str = ""
    says: str = ""


@dataclass(frozen=True)
class Checked:
    verdicts: dict[str, Verdict]
    played: Played


def verdicts_of(output: str) -> dict[str, Verdict]:
    """Each host's first failed task and what it said, from the default callback's output;
    the hosts with no failure in the recap were accepted."""
    refused: dict[str, Verdict] = {}
    task = ""
    for line in output.splitlines():
        if line.startswith("TASK ["):
            task = line.removeprefix("TASK [").split("]")[0].removeprefix("validate : ")
        found = re.match(r"^(?:fatal|failed): \[(\w+)\].*? => (\{.*\})$", line)
        if found:
            host, result = found.group(1), json.loads(found.group(2))
            says = str(result.get("msg", ""))
            if host in refused:
                says = refused[host].says + " " + says
            refused[host] = Verdict(True, refused.get(host, Verdict(True, task)).task, says)
    verdicts = {}
    for host, counts in Played(0, output, 0).recap().items():
        assert (counts["failed"] > 0) == (host in refused), (host, counts)
        verdicts[host] = refused.get(host, Verdict(refused=False))
    return verdicts


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory, keys: dict[str, Path]) -> Checked:
    """Every case at once: one inventory host per case (and a good one), each validated by
    the role in its own fork of a single ansible-playbook, instead of one run per case."""
    base = tmp_path_factory.mktemp("validate")
    hosts = {}
    for index, (change, _says) in enumerate([*CASES.values(), (None, "")]):
        variables = host_vars(base / f"no-such-root-{index}", keys)
        if change is not None:
            change(variables, keys)
        hosts[f"case{index:02d}"] = variables
    inventory = write_hosts(base / "inventory.json", hosts)
    played = play(inventory, "--forks", str(len(hosts)), playbook=CASES_PLAYBOOK)
    assert played.code != 0  # some hosts failed, as they should
    verdicts = verdicts_of(played.output)
    assert sorted(verdicts) == sorted(hosts), played.output[-3000:]
    return Checked(verdicts, played)


@pytest.mark.parametrize(
    ("index", "says"), list(enumerate(s for _, s in CASES.values())), ids=list(CASES)
)
def test_each_wrong_inventory_is_refused_by_validate_with_what_to_fix(
    checked: Checked, index: int, says: str
) -> None:
    verdict = checked.verdicts[f"case{index:02d}"]
    assert verdict.refused, verdict
    assert verdict.task.startswith("Refuse "), verdict
    assert says in verdict.says, verdict


def test_a_good_inventory_gets_past_validate(checked: Checked) -> None:
    assert checked.verdicts[f"case{len(CASES):02d}"] == Verdict(refused=False)


def test_no_refusal_shows_a_secret(checked: Checked) -> None:
    assert PASSPHRASE not in checked.played.output
    assert PRIVATE_LINE.rsplit(":", 1)[1] not in checked.played.output


def test_site_yml_stops_in_validate_before_any_server(
    tmp_path: Path, keys: dict[str, Path]
) -> None:
    # Given an inventory with one thing wrong (its host does not even exist)
    root = tmp_path / "no-such-root"
    variables = host_vars(root, keys)
    variables["app_admin_passphrase"] = "velvet orbit"
    inventory = write_inventory(tmp_path / "inventory.json", root, variables)
    # When the playbook runs
    played = play(inventory)
    # Then it stops in validate, on the controller, saying what is wrong and nothing secret
    assert played.code != 0
    assert "app_admin_passphrase is too weak" in played.output, played.output[-3000:]
    assert "validate :" in played.output
    assert "common :" not in played.output
    assert "velvet orbit" not in played.output
    assert not root.exists()


def test_an_inventory_without_servers_is_refused(tmp_path: Path) -> None:
    inventory = tmp_path / "inventory.json"
    inventory.write_text('{"sealdrop": {"hosts": {}}}', encoding="utf-8")
    played = play(inventory)
    assert played.code != 0
    assert "The inventory has no host in the group `sealdrop`" in played.output
