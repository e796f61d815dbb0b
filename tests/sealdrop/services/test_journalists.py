"""Journalist accounts: clean names, strong passphrases, at least one admin, deletion that keeps
the conversation."""

from __future__ import annotations

import datetime as dt

import pytest

from sealdrop.db.models import Reply
from sealdrop.errors import AccountInvalid, PassphraseTooWeak, TwoFactorInvalid
from sealdrop.runtime.instance import Instance
from sealdrop.services import journalist_auth, journalists
from sealdrop.services.intake import require_open
from sealdrop.services.journalists import Profile, TwoFactor
from tests.harness import source_with_a_message
from tests.sealdrop.services.journalist_helpers import PASSPHRASE, TODAY, add_journalist


def test_an_account_keeps_a_hash_and_a_secret_never_the_passphrase(instance: Instance) -> None:
    with instance.sessions() as session:
        dana = add_journalist(session, instance.config, admin=True)
        assert dana.passphrase_hash.startswith("$argon2id$")
        assert PASSPHRASE not in dana.passphrase_hash
        assert (dana.otp_kind, dana.is_admin, dana.created_on) == ("totp", True, TODAY)
        assert [j.username for j in journalists.everyone(session)] == ["dana"]


@pytest.mark.parametrize("username", ["ab", "Dana Scully", "dana/..", "-dana", "d" * 65])
def test_bad_usernames_are_refused(instance: Instance, username: str) -> None:
    with instance.sessions() as session, pytest.raises(AccountInvalid, match="username"):
        journalists.create(
            session,
            profile=Profile(username),
            passphrase=PASSPHRASE,
            second_factor=TwoFactor.new_totp(),
            cost=journalists.argon2_cost(instance.config),
            today=TODAY,
        )


def test_a_taken_username_is_refused_whatever_its_case(instance: Instance) -> None:
    with instance.sessions() as session:
        add_journalist(session, instance.config)
        with pytest.raises(AccountInvalid, match="taken"):
            add_journalist(session, instance.config, "DANA")


def test_a_weak_passphrase_is_refused(instance: Instance) -> None:
    with instance.sessions() as session, pytest.raises(PassphraseTooWeak):
        journalists.create(
            session,
            profile=Profile("dana"),
            passphrase="password",
            second_factor=TwoFactor.new_totp(),
            cost=journalists.argon2_cost(instance.config),
            today=TODAY,
        )


def test_a_bad_hotp_secret_is_refused() -> None:
    with pytest.raises(TwoFactorInvalid):
        TwoFactor.hotp("123")


def test_the_last_admin_stays_an_admin_and_cannot_be_deleted(instance: Instance) -> None:
    with instance.sessions() as session:
        boss = add_journalist(session, instance.config, "boss", admin=True)
        with pytest.raises(AccountInvalid, match="last admin"):
            journalists.edit(session, boss, profile=Profile("boss", is_admin=False))
        with pytest.raises(AccountInvalid, match="last admin"):
            journalists.remove(session, boss)
        add_journalist(session, instance.config, "second", admin=True)
        journalists.remove(session, boss)
        session.commit()
        assert [j.username for j in journalists.everyone(session)] == ["second"]


def test_edit_renames_and_refuses_a_taken_name(instance: Instance) -> None:
    with instance.sessions() as session:
        dana = add_journalist(session, instance.config)
        add_journalist(session, instance.config, "fox")
        with pytest.raises(AccountInvalid, match="taken"):
            journalists.edit(session, dana, profile=Profile("fox"))
        journalists.edit(session, dana, profile=Profile("dana.s", " Dana ", None))
        assert (dana.username, dana.first_name, dana.last_name) == ("dana.s", "Dana", None)


def test_deleting_a_journalist_keeps_their_replies_and_ends_their_tokens(
    instance: Instance,
) -> None:
    with instance.sessions() as session:
        to = require_open(
            session, instance.store, instance.gpg, config=instance.config, incoming_bytes=0
        )
        login, _ = source_with_a_message(instance, session, "hello", recipients=to)
        source = login.source
        dana = add_journalist(session, instance.config)
        token, _ = journalist_auth.issue_token(session, dana, now=dt.datetime(2027, 1, 1), hours=8)
        session.add(
            Reply(
                source_id=source.id,
                filename="2-x-y-reply.gpg",
                size=1,
                interaction_count=2,
                journalist_id=dana.id,
            )
        )
        session.commit()
        journalists.remove(session, dana)
        session.commit()
        reply = session.query(Reply).one()
        assert reply.journalist_id is None
        assert (
            journalist_auth.journalist_for_token(session, token, now=dt.datetime(2027, 1, 1))
            is None
        )


def test_resetting_two_factor_replaces_the_secret(instance: Instance) -> None:
    with instance.sessions() as session:
        dana = add_journalist(session, instance.config)
        old = dana.otp_secret
        journalists.reset_two_factor(session, dana, second_factor=TwoFactor.new_totp())
        assert dana.otp_secret != old and dana.last_totp_step is None
        assert dana.session_epoch == 1
