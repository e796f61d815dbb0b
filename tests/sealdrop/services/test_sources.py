"""Sources: creation keeps no codename, login finds the source, wrong guesses are throttled."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import func, select

from sealdrop import codenames, kdf
from sealdrop.db.models import FailedLogin, Source
from sealdrop.designations import DESIGNATION_PATTERN
from sealdrop.errors import CodenameMalformed, CodenameUnknown, LoginThrottled
from sealdrop.services.instance import Instance
from sealdrop.services.sources import (
    CodenameTaken,
    authenticate_source,
    create_source,
    source_by_uuid,
)
from tests.harness import TODAY, new_source

NOW = dt.datetime(2024, 5, 1, 12, 0, 0)


def test_create_source(instance: Instance) -> None:
    with instance.sessions() as session:
        codename, login = new_source(instance, session)
    secrets, cost = instance.config.require_secrets(), instance.config.kdf

    with instance.sessions() as session:
        source = session.scalars(select(Source)).one()
    assert source.filesystem_id == kdf.source_id(codename, salt=secrets.source_id_salt, cost=cost)
    assert login.reply_passphrase == kdf.reply_key_passphrase(
        codename, salt=secrets.reply_key_salt, cost=cost)
    assert DESIGNATION_PATTERN.fullmatch(source.journalist_designation)
    assert source.key_fingerprint in instance.gpg.secret_fingerprints()
    assert (source.pending, source.interaction_count, source.is_starred) == (True, 0, False)
    assert (source.created_on, source.last_updated) == (TODAY, TODAY)


def test_codename_is_stored_nowhere_in_the_row(instance: Instance) -> None:
    with instance.sessions() as session:
        codename, login = new_source(instance, session)
        row = session.execute(select(Source.__table__)).one()
    values = " ".join(str(value) for value in row)
    assert codename not in values
    assert not any(word in values.split() for word in codename.split())
    assert login.reply_passphrase not in values


def test_reply_key_opens_with_the_derived_passphrase(instance: Instance) -> None:
    with instance.sessions() as session:
        _, login = new_source(instance, session)
        fingerprint = login.source.key_fingerprint
    target = instance.config.data_dir / "probe.gpg"
    instance.gpg.encrypt_bytes(b"probe", [instance.gpg.secret_fingerprints().pop()], target)
    assert fingerprint in instance.gpg.secret_fingerprints()
    assert instance.gpg.decrypt_with_passphrase(target, login.reply_passphrase) == b"probe"


def test_same_codename_twice_is_refused_without_a_stray_key(instance: Instance) -> None:
    with instance.sessions() as session:
        codename, _ = new_source(instance, session)
        keys_before = instance.gpg.secret_fingerprints()
        with pytest.raises(CodenameTaken):
            create_source(session, instance.gpg, config=instance.config, codename=codename,
                          today=TODAY)
        assert session.scalar(select(func.count()).select_from(Source)) == 1
    assert instance.gpg.secret_fingerprints() == keys_before


def test_sources_get_distinct_designations(instance: Instance) -> None:
    with instance.sessions() as session:
        logins = [new_source(instance, session)[1] for _ in range(5)]
    assert len({login.source.journalist_designation for login in logins}) == 5


def test_login_with_the_codename_as_typed(instance: Instance) -> None:
    with instance.sessions() as session:
        codename, created = new_source(instance, session)
        typed = "  " + codename.upper().replace(" ", "\t ") + "\n"

        login = authenticate_source(session, config=instance.config, typed=typed, now=NOW)

        assert login.source.id == created.source.id
        assert login.reply_passphrase == created.reply_passphrase
        assert source_by_uuid(session, created.source.uuid) is login.source
        assert source_by_uuid(session, "no-such-uuid") is None


def test_wrong_codename_is_unknown_and_recorded_by_hash(instance: Instance) -> None:
    with instance.sessions() as session:
        new_source(instance, session)
        wrong = codenames.generate()
        with pytest.raises(CodenameUnknown):
            authenticate_source(session, config=instance.config, typed=wrong, now=NOW)
        keys = list(session.scalars(select(FailedLogin.key)))
    assert len(keys) == 1
    assert wrong not in keys[0]
    assert keys[0] == kdf.source_id(wrong, salt=instance.config.require_secrets().source_id_salt,
                                    cost=instance.config.kdf)


@pytest.mark.parametrize("typed", ["", "one two three", "a " * 7, "x" * 5000, "\x00" * 7])
def test_malformed_codename(instance: Instance, typed: str) -> None:
    with instance.sessions() as session, pytest.raises(CodenameMalformed):
        authenticate_source(session, config=instance.config, typed=typed, now=NOW)


def test_per_codename_throttle(instance: Instance) -> None:
    limit = instance.config.failed_logins_per_codename
    wrong = codenames.generate()
    with instance.sessions() as session:
        codename, _ = new_source(instance, session)
        for second in range(limit):
            with pytest.raises(CodenameUnknown):
                authenticate_source(session, config=instance.config, typed=wrong,
                                    now=NOW + dt.timedelta(seconds=second))
        with pytest.raises(LoginThrottled):
            authenticate_source(session, config=instance.config, typed=wrong,
                                now=NOW + dt.timedelta(seconds=limit))
        # Another codename, the real one, is not held back by someone guessing at a wrong one.
        authenticate_source(session, config=instance.config, typed=codename,
                            now=NOW + dt.timedelta(seconds=limit))


def test_global_throttle(instance: Instance) -> None:
    config = dataclasses.replace(instance.config, failed_logins_global=3)
    with instance.sessions() as session:
        codename, _ = new_source(instance, session)
        for _ in range(3):
            with pytest.raises(CodenameUnknown):
                authenticate_source(session, config=config, typed=codenames.generate(), now=NOW)
        with pytest.raises(LoginThrottled):
            authenticate_source(session, config=config, typed=codename, now=NOW)
        with pytest.raises(LoginThrottled):
            authenticate_source(session, config=config, typed="malformed", now=NOW)


def test_failures_older_than_the_window_are_forgotten(instance: Instance) -> None:
    window = instance.config.throttle_window_seconds
    wrong = codenames.generate()
    with instance.sessions() as session:
        codename, _ = new_source(instance, session)
        for _ in range(instance.config.failed_logins_per_codename):
            with pytest.raises(CodenameUnknown):
                authenticate_source(session, config=instance.config, typed=wrong, now=NOW)
        with pytest.raises(LoginThrottled):
            authenticate_source(session, config=instance.config, typed=wrong,
                                now=NOW + dt.timedelta(seconds=window - 1))

        later = NOW + dt.timedelta(seconds=window + 1)
        with pytest.raises(CodenameUnknown):
            authenticate_source(session, config=instance.config, typed=wrong, now=later)
        # Recording that failure also deleted the expired rows: only the new one is left.
        assert session.scalar(select(func.count()).select_from(FailedLogin)) == 1
        authenticate_source(session, config=instance.config, typed=codename, now=later)
