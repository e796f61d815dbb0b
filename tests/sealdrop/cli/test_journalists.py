"""`sealdrop journalist ...` in process: the first admin, listing, lost factors, refusals."""

from __future__ import annotations

import io
import re

import pyotp
import pytest

from sealdrop.cli.main import main
from sealdrop.config import load_config
from sealdrop.errors import LoginFailed
from sealdrop.runtime.instance import open_instance
from sealdrop.services import audit, journalist_auth, journalists
from sealdrop.services.journalist_auth import Credentials
from tests.harness import ConfigFactory

NOW = 1_800_000_000.0


@pytest.fixture
def env(make_config: ConfigFactory) -> dict[str, str]:
    """An instance `sealdrop init` made without a key (a copy of the session's template)."""
    return make_config.env_of(make_config.initialised(submission_key=None))


def run(env: dict[str, str], capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["journalist", *args], env)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def printed(pattern: str, output: str) -> str:
    found = re.search(pattern, output)
    assert found, output
    return found.group(1)


def test_the_first_admin_can_log_in_with_what_is_printed(
    env: dict[str, str], make_config: ConfigFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run(env, capsys, "add", "boss", "--admin", "--first-name", "Perry")
    assert code == 0, out
    passphrase = printed(r"Passphrase \(shown once[^:]*\): (.+)", out)
    secret = printed(r"TOTP secret[^:]*: ([A-Z2-7]+)", out)
    assert "otpauth://totp/" in out
    inst = open_instance(load_config(env))
    try:
        with inst.sessions() as session:
            boss = journalist_auth.authenticate(
                session,
                journalist_auth.login_throttle(inst.config),
                credentials=Credentials("boss", passphrase, pyotp.TOTP(secret).at(NOW)),
                cost=journalists.argon2_cost(inst.config),
                now=NOW,
            )
            assert boss.is_admin and boss.first_name == "Perry"
            assert [e.action for e in audit.recent(session)] == ["add admin"]
    finally:
        inst.close()


def test_list_shows_accounts_and_says_when_there_are_none(
    env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert "no journalists yet" in run(env, capsys, "list")[1]
    run(env, capsys, "add", "boss", "--admin")
    run(env, capsys, "add", "dana")
    code, out = run(env, capsys, "list")
    assert code == 0
    assert out.splitlines() == [
        "boss\tadmin\ttotp\tlast login never",
        "dana\tjournalist\ttotp\tlast login never",
    ]


def test_reset_2fa_and_passphrase_replace_the_old_ones(
    env: dict[str, str], make_config: ConfigFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    out = run(env, capsys, "add", "dana")[1]
    old_passphrase = printed(r"Passphrase \(shown once[^:]*\): (.+)", out)
    old_secret = printed(r"TOTP secret[^:]*: ([A-Z2-7]+)", out)
    new_secret = printed(r"TOTP secret[^:]*: ([A-Z2-7]+)", run(env, capsys, "reset-2fa", "dana")[1])
    new_passphrase = printed(
        r"\(shown once\): (.+)", run(env, capsys, "reset-passphrase", "dana")[1]
    )
    assert (new_secret, new_passphrase) != (old_secret, old_passphrase)
    inst = open_instance(load_config(env))
    try:
        with inst.sessions() as session:
            throttle = journalist_auth.login_throttle(inst.config)
            cost = journalists.argon2_cost(inst.config)
            with pytest.raises(LoginFailed):
                journalist_auth.authenticate(
                    session,
                    throttle,
                    credentials=Credentials("dana", old_passphrase, pyotp.TOTP(new_secret).at(NOW)),
                    cost=cost,
                    now=NOW,
                )
            with pytest.raises(LoginFailed):
                journalist_auth.authenticate(
                    session,
                    throttle,
                    credentials=Credentials("dana", new_passphrase, pyotp.TOTP(old_secret).at(NOW)),
                    cost=cost,
                    now=NOW,
                )
    finally:
        inst.close()


def test_hotp_tokens_are_enrolled_from_their_hex_secret(
    env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run(
        env, capsys, "add", "dana", "--hotp-secret", "3132333435363738393031323334353637383930"
    )
    assert code == 0 and "HOTP hardware token" in out and "TOTP secret" not in out


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["reset-2fa", "nobody"], "there is no journalist named 'nobody'"),
        (["delete", "nobody"], "there is no journalist named 'nobody'"),
        (["add", "x"], "A username has 3 to 64 characters"),
        (["add", "dana", "--hotp-secret", "123"], "That HOTP secret"),
    ],
)
def test_refusals_are_one_line(
    env: dict[str, str], capsys: pytest.CaptureFixture[str], args: list[str], says: str
) -> None:
    code, out = run(env, capsys, *args)
    assert code == 2
    assert out == f"sealdrop: {says}" + out.split(says, 1)[1], out
    assert len(out.strip().splitlines()) == 1 and "Traceback" not in out


def test_the_last_admin_cannot_be_deleted(
    env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    run(env, capsys, "add", "boss", "--admin")
    code, out = run(env, capsys, "delete", "boss")
    assert (code, out.strip()) == (2, "sealdrop: The last admin cannot be deleted.")


def test_accounts_need_an_initialised_instance(
    make_config: ConfigFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run(make_config.env(), capsys, "list")
    assert code == 2 and "sealdrop init" in out


def test_a_passphrase_from_stdin_is_used_and_never_printed(
    env: dict[str, str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    chosen = "correct horse battery staple glue"
    monkeypatch.setattr("sys.stdin", io.StringIO(chosen + "\n"))
    code, out = run(env, capsys, "add", "boss", "--admin", "--passphrase-stdin")
    assert code == 0, out
    assert chosen not in out and "Passphrase" not in out
    secret = printed(r"TOTP secret[^:]*: ([A-Z2-7]+)", out)
    inst = open_instance(load_config(env))
    try:
        with inst.sessions() as session:
            boss = journalist_auth.authenticate(
                session,
                journalist_auth.login_throttle(inst.config),
                credentials=Credentials("boss", chosen, pyotp.TOTP(secret).at(NOW)),
                cost=journalists.argon2_cost(inst.config),
                now=NOW,
            )
            assert boss.is_admin
    finally:
        inst.close()


def test_a_weak_passphrase_from_stdin_is_refused_in_one_line(
    env: dict[str, str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    code, out = run(env, capsys, "add", "boss", "--admin", "--passphrase-stdin")
    assert code == 2
    assert out.strip().startswith("sealdrop: A passphrase has at least 14 characters")
    assert "no journalists yet" in run(env, capsys, "list")[1]
