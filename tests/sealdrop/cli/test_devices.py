"""`sealdrop journalist devices ...`: a key printed once, the list, revocation, refusals."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from onion.keys import ClientKeyPair, ServiceKey
from sealdrop.cli.main import main
from sealdrop.config import load_config
from sealdrop.crypto.device_keys import fingerprint
from sealdrop.runtime.instance import open_instance
from sealdrop.services import audit
from tests.harness import ConfigFactory

VECTOR = json.loads((Path(__file__).parents[2] / "vectors" / "device_keys.json").read_text())
ONION = VECTOR["onion"]


@pytest.fixture
def env(make_config: ConfigFactory) -> dict[str, str]:
    """An instance `sealdrop init` made (a copy of the session's template), with Dana."""
    config = make_config.initialised(
        submission_key=None, extra={"SEALDROP_JOURNALIST_ONION": ONION}
    )
    environment = make_config.env_of(config)
    assert main(["journalist", "add", "dana"], environment) == 0
    return environment


def run(env: dict[str, str], capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["journalist", "devices", *args], env)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_add_prints_the_key_once_list_shows_its_fingerprint_revoke_takes_it_out(
    env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    code, out = run(env, capsys, "add", "dana", "laptop")
    assert code == 0, out
    line = re.search(r"auth_private\): (\S+)", out)
    assert line and line.group(1).startswith(ONION.removesuffix(".onion") + ":descriptor:x25519:")
    private = line.group(1).rsplit(":", 1)[1]
    assert f"Tor Browser asks for: {private}" in out
    spool = load_config(env).device_spool
    (spooled,) = spool.iterdir()
    public = spooled.read_text().strip().rsplit(":", 1)[1]

    code, listed = run(env, capsys, "list")
    assert code == 0 and listed.startswith("dana\tlaptop\t") and fingerprint(public) in listed
    assert private not in listed and public not in listed

    code, out = run(env, capsys, "revoke", "dana", "laptop")
    assert code == 0 and out.startswith("Revoked dana: laptop (")
    assert list(spool.iterdir()) == []
    assert "no devices yet" in run(env, capsys, "list")[1]
    inst = open_instance(load_config(env))
    try:
        with inst.sessions() as session:
            actions = [(e.action, e.target) for e in reversed(audit.recent(session))]
    finally:
        inst.close()
    described = f"dana: laptop ({fingerprint(public)})"
    assert actions[-2:] == [("add device", described), ("revoke device", described)]
    assert all(private not in target for _, target in actions)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["add", "nobody", "laptop"], "there is no journalist named 'nobody'"),
        (["add", "dana", "../x"], "A device name has"),
        (["revoke", "dana", "phone"], "dana has no device named 'phone'"),
    ],
)
def test_refusals_are_one_line(
    env: dict[str, str], capsys: pytest.CaptureFixture[str], args: list[str], words: str
) -> None:
    capsys.readouterr()
    code, out = run(env, capsys, *args)
    assert code == 2 and out.startswith("sealdrop: ") and words in out
    assert out.count("\n") == 1


def test_a_journalist_with_devices_is_deleted_with_them_revoked(
    env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(env, capsys, "add", "dana", "phone")[0] == 0
    assert main(["journalist", "delete", "dana"], env) == 0
    assert list(load_config(env).device_spool.iterdir()) == []


def spooled_lines(env: dict[str, str]) -> list[str]:
    return sorted(path.read_text() for path in load_config(env).device_spool.iterdir())


def test_import_records_a_public_key_once_and_spools_it(
    env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the public half of a key pair made on the device
    public = ClientKeyPair.generate().public_b32
    # When it is imported, then imported again (a deployment run twice)
    code, out = run(env, capsys, "import", "dana", "laptop", "--public-key", public)
    assert code == 0 and out == f"Imported dana: laptop ({fingerprint(public)})\n"
    spool_file = next(load_config(env).device_spool.iterdir())
    spool_file.unlink()  # a spool lost by hand is put back by the next import
    code, again = run(
        env, capsys, "import", "dana", "laptop", "--public-key", f"descriptor:x25519:{public}"
    )
    # Then one device holds it, in the database and in the spool, and one audit entry says so
    assert code == 0 and again.startswith("Unchanged: dana: laptop (")
    assert spooled_lines(env) == [f"descriptor:x25519:{public}\n"]
    code, listed = run(env, capsys, "list")
    assert listed == f"dana\tlaptop\t{listed.split(chr(9))[2]}\t{fingerprint(public)}\n"
    inst = open_instance(load_config(env))
    try:
        with inst.sessions() as session:
            actions = [e.action for e in audit.recent(session)]
    finally:
        inst.close()
    assert actions.count("import device") == 1


PRIVATE_LINE = ClientKeyPair.generate().auth_private_line(ServiceKey.generate().address)


@pytest.mark.parametrize(
    ("key", "words"),
    [
        ("not-a-key", "A device public key is the 52 base32 characters"),
        (ClientKeyPair.generate().public_b32[:-1], "A device public key is the 52 base32"),
        # 52 base32 characters whose unused last bits are set: no key Tor writes
        ("A" * 51 + "B", "A device public key is the 52 base32 characters"),
        (PRIVATE_LINE, "That is a device's PRIVATE key line"),
    ],
    # Named, not shown: two keys are random, and every xdist worker must collect the same ids.
    ids=["not-base32", "one-short", "unused-bits-set", "private-line"],
)
def test_import_refuses_what_is_no_public_key_in_one_line(
    env: dict[str, str], capsys: pytest.CaptureFixture[str], key: str, words: str
) -> None:
    capsys.readouterr()
    code, out = run(env, capsys, "import", "dana", "laptop", "--public-key", key)
    assert code == 2 and out.startswith("sealdrop: ") and words in out, out
    assert out.count("\n") == 1
    assert PRIVATE_LINE.rsplit(":", 1)[1] not in out
    assert spooled_lines(env) == [] and "no devices yet" in run(env, capsys, "list")[1]


def test_import_refuses_a_taken_name_or_key_and_keeps_what_was_there(
    env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = ClientKeyPair.generate().public_b32, ClientKeyPair.generate().public_b32
    assert run(env, capsys, "import", "dana", "laptop", "--public-key", first)[0] == 0
    assert main(["journalist", "add", "eve"], env) == 0
    capsys.readouterr()
    code, out = run(env, capsys, "import", "dana", "laptop", "--public-key", second)
    assert code == 2 and "dana already has a device named 'laptop' with another key" in out
    code, out = run(env, capsys, "import", "eve", "phone", "--public-key", first)
    assert code == 2 and "That key is already authorized, as dana: laptop (" in out
    code, out = run(env, capsys, "import", "nobody", "phone", "--public-key", second)
    assert code == 2 and "there is no journalist named 'nobody'" in out
    assert spooled_lines(env) == [f"descriptor:x25519:{first}\n"]
