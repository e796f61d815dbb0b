"""Sources: a new codename stores nothing; the first submission makes the row; login finds it."""

from __future__ import annotations

import dataclasses
import random
import threading
import time
from collections.abc import Sequence
from typing import TypeVar

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sealdrop.crypto import kdf
from sealdrop.db.models import Source
from sealdrop.domain import codenames, designations
from sealdrop.domain.designations import DESIGNATION_PATTERN
from sealdrop.errors import (
    CodenameMalformed,
    CodenameTaken,
    CodenameUnknown,
    DesignationExhausted,
    LoginThrottled,
)
from sealdrop.runtime.instance import Instance
from sealdrop.services.replies import source_key
from sealdrop.services.sources import (
    NewSource,
    SourceLogin,
    authenticate_source,
    begin_source,
    create_row,
    source_by_uuid,
)
from sealdrop.services.throttle import LoginThrottle
from tests.harness import TODAY, new_source

T = TypeVar("T")


def count_sources(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Source)) or 0)


def throttle_of(instance: Instance, *, overall: int | None = None) -> LoginThrottle:
    config = instance.config
    return LoginThrottle(
        window_seconds=config.source.throttle_window_seconds,
        per_codename=config.source.failed_logins_per_codename,
        overall=overall or config.source.failed_logins_global,
    )


def authenticate(
    instance: Instance, session: Session, throttle: LoginThrottle, typed: str
) -> SourceLogin:
    return authenticate_source(
        session, instance.gpg, config=instance.config, throttle=throttle, typed=typed
    )


def test_a_new_codename_stores_nothing(instance: Instance) -> None:
    codename = codenames.generate()
    secrets, cost = instance.config.require_secrets(), instance.config.kdf
    with instance.sessions() as session:
        new = begin_source(session, config=instance.config, codename=codename)
        assert count_sources(session) == 0
    assert new.filesystem_id == kdf.filesystem_id(
        codename, salt=secrets.filesystem_id_salt, cost=cost
    )
    assert new.reply_passphrase == kdf.reply_key_passphrase(
        codename, salt=secrets.reply_key_salt, cost=cost
    )
    assert [p.name for p in instance.store.root.iterdir()] == [".staging"]
    assert list(instance.store.staging.iterdir()) == []


def test_the_row_holds_the_key(instance: Instance) -> None:
    with instance.sessions() as session:
        _, login = new_source(instance, session)
        source = session.scalars(select(Source)).one()
    assert DESIGNATION_PATTERN.fullmatch(source.journalist_designation)
    assert (source.interaction_count, source.is_starred) == (0, False)
    assert (source.created_on, source.last_updated) == (TODAY, TODAY)
    key = source_key(source)
    assert key.public.fingerprint == source.key_fingerprint
    target = instance.config.data_dir / "probe.gpg"
    instance.gpg.encrypt_bytes(b"probe", [key.public], target)
    assert instance.gpg.decrypt_with_key([target], key, login.reply_passphrase) == [b"probe"]


def test_codename_is_stored_nowhere_in_the_row(instance: Instance) -> None:
    with instance.sessions() as session:
        codename, login = new_source(instance, session)
        row = session.execute(select(Source.__table__)).one()
    values = " ".join(str(value) for value in row)
    assert codename not in values
    assert not any(word in values.split() for word in codename.split())
    assert login.reply_passphrase not in values


def test_a_used_codename_cannot_begin_again(instance: Instance) -> None:
    with instance.sessions() as session:
        codename, _ = new_source(instance, session)
        with pytest.raises(CodenameTaken):
            begin_source(session, config=instance.config, codename=codename)


def test_a_second_first_submission_finds_the_first_row(instance: Instance) -> None:
    with instance.sessions() as session:
        new = begin_source(session, config=instance.config, codename=codenames.generate())
        first = create_row(session, instance.gpg, new=new, today=TODAY)
        session.commit()
        again = create_row(session, instance.gpg, new=new, today=TODAY)
        session.commit()
        assert again.id == first.id and count_sources(session) == 1


class SameDraw(random.Random):
    """Always the first word of each list: every draw is the same designation."""

    def choice(self, seq: Sequence[T]) -> T:  # type: ignore[override] # given word tuples only
        return seq[0]


def test_designations_are_drawn_with_the_given_randomness(instance: Instance) -> None:
    with instance.sessions() as session:
        new = NewSource(
            "a" * 52,
            begin_source(
                session, config=instance.config, codename=codenames.generate()
            ).reply_passphrase,
        )
        taken = create_row(session, instance.gpg, new=new, today=TODAY, rng=SameDraw())
        session.commit()
        other = begin_source(session, config=instance.config, codename=codenames.generate())
        with pytest.raises(DesignationExhausted):
            create_row(session, instance.gpg, new=other, today=TODAY, rng=SameDraw())
        session.rollback()
        assert count_sources(session) == 1
        assert (
            taken.journalist_designation
            == f"{designations.adjectives()[0]} " + (designations.nouns()[0])
        )


def test_login_with_the_codename_as_typed(instance: Instance) -> None:
    with instance.sessions() as session:
        codename, created = new_source(instance, session)
        typed = "  " + codename.upper().replace(" ", "\t ") + "\n"

        login = authenticate(instance, session, throttle_of(instance), typed)

        assert login.source.id == created.source.id
        assert login.reply_passphrase == created.reply_passphrase
        assert source_by_uuid(session, created.source.uuid) is login.source


def test_a_codename_that_never_submitted_is_unknown(instance: Instance) -> None:
    throttle = throttle_of(instance)
    with instance.sessions() as session:
        codename = codenames.generate()
        begin_source(session, config=instance.config, codename=codename)
        with pytest.raises(CodenameUnknown):
            authenticate(instance, session, throttle, codename)
    assert len(throttle) == 1


@pytest.mark.parametrize("typed", ["", "one two three", "a " * 7, "x" * 5000, "\x00" * 7])
def test_malformed_codename(instance: Instance, typed: str) -> None:
    throttle = throttle_of(instance)
    with instance.sessions() as session, pytest.raises(CodenameMalformed):
        authenticate(instance, session, throttle, typed)
    assert len(throttle) == 0


def test_per_codename_throttle(instance: Instance) -> None:
    throttle = throttle_of(instance)
    wrong = codenames.generate()
    with instance.sessions() as session:
        codename, _ = new_source(instance, session)
        for _ in range(instance.config.source.failed_logins_per_codename):
            with pytest.raises(CodenameUnknown):
                authenticate(instance, session, throttle, wrong)
        with pytest.raises(LoginThrottled) as refused:
            authenticate(instance, session, throttle, wrong)
        assert refused.value.http_status == 429
        # Someone retrying one wrong codename holds back neither other codenames nor the source.
        with pytest.raises(CodenameUnknown):
            authenticate(instance, session, throttle, codenames.generate())
        authenticate(instance, session, throttle, codename)


def test_right_codename_is_never_refused_for_others_failures(instance: Instance) -> None:
    throttle = throttle_of(instance, overall=3)
    with instance.sessions() as session:
        codename, created = new_source(instance, session)
        for _ in range(3):
            with pytest.raises(CodenameUnknown):
                authenticate(instance, session, throttle, codenames.generate())
        # Past the overall limit, a wrong codename is throttled rather than called unknown...
        with pytest.raises(LoginThrottled):
            authenticate(instance, session, throttle, codenames.generate())
        # ...but the right one still logs in, at once.
        login = authenticate(instance, session, throttle, codename)
        assert login.source.id == created.source.id


def test_the_key_passphrase_is_derived_only_after_a_match(instance: Instance) -> None:
    """With a reply-key salt scrypt refuses, only a login that matched a row gets that far."""
    secrets = instance.config.require_secrets()
    broken = dataclasses.replace(
        instance.config, secrets=dataclasses.replace(secrets, reply_key_salt=b"short")
    )
    throttle = throttle_of(instance)
    with instance.sessions() as session:
        codename, _ = new_source(instance, session)
        with pytest.raises(CodenameUnknown):
            authenticate_source(
                session, instance.gpg, config=broken, throttle=throttle, typed=codenames.generate()
            )
        with pytest.raises(ValueError, match="salt"):
            authenticate_source(
                session, instance.gpg, config=broken, throttle=throttle, typed=codename
            )


def test_two_first_submissions_at_once_make_one_row(instance: Instance) -> None:
    """Two tabs of a new source submit together: the second insert waits, fails, finds the first."""
    with instance.sessions() as first:
        new = begin_source(first, config=instance.config, codename=codenames.generate())
        made = create_row(first, instance.gpg, new=new, today=TODAY)  # flushed, not committed
        found: list[int] = []

        def second_tab() -> None:
            with instance.sessions() as second:
                found.append(create_row(second, instance.gpg, new=new, today=TODAY).id)
                second.commit()

        thread = threading.Thread(target=second_tab)
        thread.start()
        time.sleep(0.5)  # the second tab is now waiting on the first's insert
        first.commit()
        thread.join(timeout=30)
        assert found == [made.id]
        assert count_sources(first) == 1
