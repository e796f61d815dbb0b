"""`sealdrop keys list | add | retire` both ways: each change, and one line per refusal."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_runner import Sealdrop, assert_one_clear_line
from tests.harness import ConfigFactory, OddKeys, ReaderKeys


@pytest.fixture
def env(make_config: ConfigFactory, reader_keys: ReaderKeys) -> dict[str, str]:
    """An instance made by `init --submission-key`, its first reader key (a copy of the
    session's template: `init` itself is tested in test_main)."""
    return make_config.env_of(make_config.initialised(submission_key=reader_keys.public_key))


def key_file(tmp_path: Path, name: str, armored: str) -> str:
    path = tmp_path / name
    path.write_text(armored)
    return str(path)


def test_add_list_and_retire(
    sealdrop: Sealdrop,
    env: dict[str, str],
    tmp_path: Path,
    reader_keys: ReaderKeys,
    second_reader_keys: ReaderKeys,
) -> None:
    second = key_file(tmp_path, "second.asc", second_reader_keys.public_key)

    added = sealdrop(env, "keys", "add", second)
    assert added.code == 0, added.stderr
    assert f"added reader key {second_reader_keys.fingerprint}" in added.stdout
    assert "2 active key(s)" in added.stdout

    listed = sealdrop(env, "keys", "list")
    assert listed.code == 0, listed.stderr
    first_line, second_line = listed.stdout.splitlines()
    assert first_line.startswith(f"{reader_keys.fingerprint}  active since ")
    assert second_line.startswith(f"{second_reader_keys.fingerprint}  active since ")

    retired = sealdrop(env, "keys", "retire", reader_keys.fingerprint)
    assert retired.code == 0, retired.stderr
    assert "1 active key(s)" in retired.stdout
    first_line, _ = sealdrop(env, "keys", "list").stdout.splitlines()
    assert f"{reader_keys.fingerprint}  retired on " in first_line
    # `init` again with a key the instance has changes nothing.
    again = sealdrop(env, "init", "--submission-key", second)
    assert again.code == 0, again.stderr
    assert f"Active reader keys: {second_reader_keys.fingerprint}" in again.stdout


@pytest.mark.parametrize(
    ("name", "mentions"),
    [
        ("private", "private key"),
        ("revoked", "revoked"),
        ("expired", "expired"),
        ("weak", "too weak"),
        ("not armored", "not an ASCII-armored OpenPGP key"),
        ("duplicate", "already an active reader key"),
    ],
)
def test_add_refuses_in_one_line(
    sealdrop: Sealdrop,
    env: dict[str, str],
    tmp_path: Path,
    reader_keys: ReaderKeys,
    odd_keys: OddKeys,
    name: str,
    mentions: str,
) -> None:
    text = {
        "private": reader_keys.export_secret_key(),
        "revoked": odd_keys.revoked,
        "expired": odd_keys.expired,
        "weak": odd_keys.weak,
        "not armored": "just some text",
        "duplicate": reader_keys.public_key,
    }[name]
    assert_one_clear_line(
        sealdrop(env, "keys", "add", key_file(tmp_path, "k.asc", text)), mentions=mentions
    )


def test_retire_refuses_in_one_line(
    sealdrop: Sealdrop,
    env: dict[str, str],
    tmp_path: Path,
    reader_keys: ReaderKeys,
    second_reader_keys: ReaderKeys,
) -> None:
    assert_one_clear_line(
        sealdrop(env, "keys", "retire", reader_keys.fingerprint), mentions="last active reader key"
    )
    assert_one_clear_line(
        sealdrop(env, "keys", "retire", second_reader_keys.fingerprint),
        mentions="No reader key has that fingerprint",
    )
    assert_one_clear_line(
        sealdrop(env, "keys", "retire", "ABCD1234"), mentions="not a full fingerprint"
    )
    assert_one_clear_line(
        sealdrop(
            env,
            "init",
            "--submission-key",
            key_file(tmp_path, "2.asc", second_reader_keys.public_key),
        ),
        mentions="already has reader keys",
    )


def test_keys_before_init_is_one_line(sealdrop: Sealdrop, make_config: ConfigFactory) -> None:
    assert_one_clear_line(sealdrop(make_config.env(), "keys", "list"), mentions="sealdrop init")


def test_check_prints_each_key_and_warns_before_expiry(
    sealdrop: Sealdrop,
    env: dict[str, str],
    tmp_path: Path,
    reader_keys: ReaderKeys,
    odd_keys: OddKeys,
) -> None:
    assert (
        sealdrop(env, "keys", "add", key_file(tmp_path, "s.asc", odd_keys.expires_in_20_days)).code
        == 0
    )

    ran = sealdrop(env, "check")

    assert ran.code == 1
    lines = ran.stdout.splitlines()
    assert lines[0].startswith(f"reader key {reader_keys.fingerprint}  active since ")
    assert "opens 0 item(s), 0 that no other key opens" in lines[0]
    assert " expires on " in lines[2] and "`sealdrop keys add FILE`" in lines[2]
    assert lines[-1] == "1 problem(s) found"
