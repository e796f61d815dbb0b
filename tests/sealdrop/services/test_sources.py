"""Sources: creation keeps no codename and is throttled; login finds the source."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from sealdrop import codenames, designations, kdf
from sealdrop.db.models import Source, ThrottleEvent
from sealdrop.designations import DESIGNATION_PATTERN
from sealdrop.errors import (
    CodenameMalformed,
    CodenameTaken,
    CodenameUnknown,
    CreationThrottled,
    DesignationExhausted,
    LoginThrottled,
)
from sealdrop.services.instance import Instance
from sealdrop.services.sources import authenticate_source, create_source, source_by_uuid
from tests.harness import NOW, TODAY, ConfigFactory, ReaderKeys, new_source


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
                          now=NOW)
        assert session.scalar(select(func.count()).select_from(Source)) == 1
    assert instance.gpg.secret_fingerprints() == keys_before


def test_sources_get_distinct_designations(instance: Instance) -> None:
    with instance.sessions() as session:
        logins = [new_source(instance, session)[1] for _ in range(5)]
    assert len({login.source.journalist_designation for login in logins}) == 5


def test_creation_is_throttled_per_window(instance: Instance) -> None:
    config = dataclasses.replace(instance.config, new_sources_per_window=2)
    window = dt.timedelta(seconds=config.throttle_window_seconds)
    with instance.sessions() as session:
        for _ in range(2):
            create_source(session, instance.gpg, config=config, codename=codenames.generate(),
                          now=NOW)
        keys_before = instance.gpg.secret_fingerprints()

        with pytest.raises(CreationThrottled) as refused:
            create_source(session, instance.gpg, config=config, codename=codenames.generate(),
                          now=NOW + window - dt.timedelta(seconds=1))

        assert refused.value.http_status == 429
        assert session.scalar(select(func.count()).select_from(Source)) == 2
        assert instance.gpg.secret_fingerprints() == keys_before
        create_source(session, instance.gpg, config=config, codename=codenames.generate(),
                      now=NOW + window)
        assert session.scalar(select(func.count()).select_from(Source)) == 3


def fill_every_designation(instance: Instance) -> int:
    """Give every designation the word lists can make to a placeholder row (SQLite only)."""
    with instance.engine.begin() as connection:
        connection.execute(text("CREATE TEMP TABLE adjective (word TEXT)"))
        connection.execute(text("CREATE TEMP TABLE noun (word TEXT)"))
        connection.execute(text("INSERT INTO adjective VALUES (:word)"),
                           [{"word": word} for word in set(designations.adjectives())])
        connection.execute(text("INSERT INTO noun VALUES (:word)"),
                           [{"word": word} for word in set(designations.nouns())])
        # SQLite checks no lengths, so one designation can fill every unique column.
        filled = connection.execute(text(
            "INSERT INTO sources (uuid, filesystem_id, journalist_designation, key_fingerprint,"
            " interaction_count, pending, is_starred, created_on, last_updated)"
            " SELECT d, d, d, d, 0, 1, 0, '2024-05-01', '2024-05-01'"
            " FROM (SELECT a.word || ' ' || n.word AS d FROM adjective a CROSS JOIN noun n)"
        ))
    return filled.rowcount


def test_designation_is_drawn_before_the_key_is_made(make_config: ConfigFactory,
                                                     reader_keys: ReaderKeys) -> None:
    """With every designation taken, creation fails before gpg makes a key that would stay."""
    with make_config.instance(submission_key=reader_keys.public_key) as instance:
        filled = fill_every_designation(instance)
        with instance.sessions() as session:
            with pytest.raises(DesignationExhausted):
                create_source(session, instance.gpg, config=instance.config,
                              codename=codenames.generate(), now=NOW)
            assert session.scalar(select(func.count()).select_from(Source)) == filled
        assert instance.gpg.secret_fingerprints() == set()


def test_login_with_the_codename_as_typed(instance: Instance) -> None:
    with instance.sessions() as session:
        codename, created = new_source(instance, session)
        typed = "  " + codename.upper().replace(" ", "\t ") + "\n"

        login = authenticate_source(session, config=instance.config, typed=typed, now=NOW)

        assert login.source.id == created.source.id
        assert login.reply_passphrase == created.reply_passphrase
        assert source_by_uuid(session, created.source.uuid) is login.source
        assert source_by_uuid(session, "no-such-uuid") is None


def recorded(session: Session) -> list[str]:
    """The login failures kept (creating a source records a `create` event beside them)."""
    query = select(ThrottleEvent.key).where(ThrottleEvent.key != "create")
    return list(session.scalars(query.order_by(ThrottleEvent.id)))


def test_wrong_codename_is_unknown_and_recorded_by_hash(instance: Instance) -> None:
    with instance.sessions() as session:
        codename, _ = new_source(instance, session)
        authenticate_source(session, config=instance.config, typed=codename, now=NOW)
        wrong = codenames.generate()
        with pytest.raises(CodenameUnknown):
            authenticate_source(session, config=instance.config, typed=wrong, now=NOW)
        keys = recorded(session)
    salt = instance.config.require_secrets().source_id_salt
    # Only the failure is kept, and as a hash: a successful login leaves no trace.
    assert keys == ["login:" + kdf.source_id(wrong, salt=salt, cost=instance.config.kdf)]


@pytest.mark.parametrize("typed", ["", "one two three", "a " * 7, "x" * 5000, "\x00" * 7])
def test_malformed_codename(instance: Instance, typed: str) -> None:
    with instance.sessions() as session:
        with pytest.raises(CodenameMalformed):
            authenticate_source(session, config=instance.config, typed=typed, now=NOW)
        assert recorded(session) == []


def test_per_codename_throttle(instance: Instance) -> None:
    limit = instance.config.failed_logins_per_codename
    wrong = codenames.generate()
    with instance.sessions() as session:
        codename, _ = new_source(instance, session)
        for second in range(limit):
            with pytest.raises(CodenameUnknown):
                authenticate_source(session, config=instance.config, typed=wrong,
                                    now=NOW + dt.timedelta(seconds=second))
        later = NOW + dt.timedelta(seconds=limit)
        with pytest.raises(LoginThrottled) as refused:
            authenticate_source(session, config=instance.config, typed=wrong, now=later)
        assert refused.value.http_status == 429
        # Someone guessing at one wrong codename holds back neither other guesses nor the source.
        with pytest.raises(CodenameUnknown):
            authenticate_source(session, config=instance.config, typed=codenames.generate(),
                                now=later)
        authenticate_source(session, config=instance.config, typed=codename, now=later)


def test_right_codename_is_never_refused_for_others_failures(instance: Instance) -> None:
    config = dataclasses.replace(instance.config, failed_logins_global=3)
    with instance.sessions() as session:
        codename, created = new_source(instance, session)
        for _ in range(config.failed_logins_global):
            with pytest.raises(CodenameUnknown):
                authenticate_source(session, config=config, typed=codenames.generate(), now=NOW)
        # Past the global limit, a wrong codename is throttled rather than called unknown...
        for _ in range(2):
            with pytest.raises(LoginThrottled):
                authenticate_source(session, config=config, typed=codenames.generate(), now=NOW)
        assert len(recorded(session)) == config.failed_logins_global + 2

        # ...but the right one still logs in, at once.
        login = authenticate_source(session, config=config, typed=codename, now=NOW)
        assert login.source.id == created.source.id


def test_failures_older_than_the_window_are_forgotten(instance: Instance) -> None:
    window = instance.config.throttle_window_seconds
    wrong = codenames.generate()
    with instance.sessions() as session:
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
        assert len(recorded(session)) == 1
