"""Journalist login: passphrase and a single-use code, one answer for every wrong part,
throttled; API tokens that expire and end with a passphrase change."""

from __future__ import annotations

import datetime as dt

import pyotp
import pytest

from sealdrop.crypto.passwords import Argon2Cost
from sealdrop.db.models import Journalist
from sealdrop.errors import LoginFailed, LoginThrottled
from sealdrop.runtime.instance import Instance
from sealdrop.services import journalist_auth, journalists
from sealdrop.services.journalist_auth import Credentials
from sealdrop.services.journalists import TwoFactor
from tests.sealdrop.services.journalist_helpers import NOW, PASSPHRASE, add_journalist, code

MOMENT = dt.datetime(2027, 1, 15, 12, 0, 0)


def log_in(inst: Instance, journalist: Journalist, **changes: str) -> Journalist:
    typed = {"username": journalist.username, "passphrase": PASSPHRASE, "code": code(journalist)}
    typed.update(changes)
    throttle = journalist_auth.login_throttle(inst.config)
    with inst.sessions() as session:
        return journalist_auth.authenticate(
            session,
            throttle,
            credentials=Credentials(**typed),
            cost=journalists.argon2_cost(inst.config),
            now=NOW,
        )


def test_the_right_passphrase_and_code_log_in(instance: Instance) -> None:
    with instance.sessions() as session:
        dana = add_journalist(session, instance.config)
    logged_in = log_in(instance, dana, username="  DANA ")
    assert logged_in.uuid == dana.uuid
    assert logged_in.last_login == dt.datetime.fromtimestamp(NOW, dt.UTC).date()


@pytest.mark.parametrize(
    "wrong",
    [{"passphrase": PASSPHRASE + "x"}, {"username": "nobody"}, {"code": "000000"}],
    ids=["passphrase", "username", "code"],
)
def test_every_wrong_part_gets_the_same_answer(instance: Instance, wrong: dict[str, str]) -> None:
    with instance.sessions() as session:
        dana = add_journalist(session, instance.config)
    with pytest.raises(LoginFailed) as refused:
        log_in(instance, dana, **wrong)
    assert str(refused.value) == journalist_auth.WRONG


def test_a_code_works_once(instance: Instance) -> None:
    with instance.sessions() as session:
        dana = add_journalist(session, instance.config)
    log_in(instance, dana)
    with pytest.raises(LoginFailed):
        log_in(instance, dana)


def test_failed_logins_are_throttled_per_account(instance: Instance) -> None:
    with instance.sessions() as session:
        dana = add_journalist(session, instance.config)
    throttle = journalist_auth.login_throttle(instance.config)
    wrong = Credentials("dana", "wrong passphrase entirely", "000000")
    cost = journalists.argon2_cost(instance.config)
    limit = instance.config.journalist.failed_logins_per_account
    with instance.sessions() as session:
        for _ in range(limit):
            with pytest.raises(LoginFailed):
                journalist_auth.authenticate(
                    session, throttle, credentials=wrong, cost=cost, now=NOW
                )
        right = Credentials("dana", PASSPHRASE, code(dana))
        with pytest.raises(LoginThrottled):
            journalist_auth.authenticate(session, throttle, credentials=right, cost=cost, now=NOW)


def test_hotp_tokens_log_in_and_move_forward(instance: Instance) -> None:
    secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
    with instance.sessions() as session:
        dana = add_journalist(session, instance.config)
        journalists.reset_two_factor(session, dana, second_factor=TwoFactor.hotp(secret))
        session.commit()
    log_in(instance, dana, code=pyotp.HOTP(secret).at(3))
    with pytest.raises(LoginFailed):
        log_in(instance, dana, code=pyotp.HOTP(secret).at(3))
    log_in(instance, dana, code=pyotp.HOTP(secret).at(4))


def test_a_login_under_a_new_cost_rehashes(instance: Instance) -> None:
    with instance.sessions() as session:
        dana = add_journalist(session, instance.config)
        before = dana.passphrase_hash
        stronger = Argon2Cost(time_cost=2, memory_kib=64, parallelism=1)
        throttle = journalist_auth.login_throttle(instance.config)
        credentials = Credentials("dana", PASSPHRASE, code(dana))
        after = journalist_auth.authenticate(
            session, throttle, credentials=credentials, cost=stronger, now=NOW
        )
        assert after.passphrase_hash != before and "t=2" in after.passphrase_hash


def test_tokens_expire_and_are_revoked(instance: Instance) -> None:
    with instance.sessions() as session:
        dana = add_journalist(session, instance.config)
        token, expires = journalist_auth.issue_token(session, dana, now=MOMENT, hours=8)
        assert expires == MOMENT + dt.timedelta(hours=8)
        found = journalist_auth.journalist_for_token(session, token, now=MOMENT)
        assert found is not None and found.id == dana.id
        assert journalist_auth.journalist_for_token(session, token, now=expires) is None
        assert journalist_auth.journalist_for_token(session, token + "x", now=MOMENT) is None
        journalist_auth.revoke_token(session, token)
        assert journalist_auth.journalist_for_token(session, token, now=MOMENT) is None


def test_a_passphrase_change_ends_tokens_and_sessions(instance: Instance) -> None:
    with instance.sessions() as session:
        dana = add_journalist(session, instance.config)
        token, _ = journalist_auth.issue_token(session, dana, now=MOMENT, hours=8)
        epoch = dana.session_epoch
        journalists.change_passphrase(
            session,
            dana,
            new="a completely different passphrase",
            cost=journalists.argon2_cost(instance.config),
        )
        session.commit()
        assert journalist_auth.journalist_for_token(session, token, now=MOMENT) is None
        assert dana.session_epoch == epoch + 1
