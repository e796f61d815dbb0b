"""Migration 0005: reader keys, from the Submission key of 0004 and back."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from sealdrop.db import migrate
from tests.sealdrop.db.migration_rows import (
    AT_0004,
    AT_0005,
    DAY,
    add_reply,
    add_source,
    columns,
    count,
    rows,
    run,
    tables,
)


def test_0004_to_0005_makes_the_submission_key_the_first_reader_key(engine: Engine) -> None:
    migrate.upgrade(engine, "0004")
    run(
        engine,
        "INSERT INTO instance_settings (id, submission_key_fingerprint, submission_public_key,"
        " allow_document_uploads) VALUES (1, :fpr, 'armored', :yes)",
        fpr="F" * 40,
        yes=True,
    )
    add_source(engine, "a", submissions=2)
    add_reply(engine, "a", 3)

    migrate.upgrade(engine, "0005")

    assert tables(engine) == AT_0005
    assert not {"submission_key_fingerprint", "submission_public_key"} & columns(
        engine, "instance_settings"
    )
    [(key_id, fingerprint, armored, state, added_on, retired_on)] = rows(
        engine, "SELECT id, fingerprint, public_key, state, added_on, retired_on FROM reader_keys"
    )
    assert (fingerprint, armored, state, retired_on) == ("F" * 40, "armored", "active", None)
    # A day, never a moment (SQLite hands dates back as text).
    assert str(added_on) == str(dt.datetime.now(dt.UTC).date())
    # Everything stored so far went to the only key the instance had.
    assert rows(engine, "SELECT reader_key_id FROM submission_reader_keys") == [(key_id,)] * 2
    assert rows(engine, "SELECT reader_key_id FROM reply_reader_keys") == [(key_id,)]
    assert (count(engine, "sources"), count(engine, "submissions")) == (1, 2)


def test_0004_to_0005_without_a_key_or_with_one_still_in_an_old_keyring(engine: Engine) -> None:
    migrate.upgrade(engine, "0004")
    add_source(engine, "a")
    migrate.upgrade(engine, "0005")
    assert (count(engine, "reader_keys"), count(engine, "submission_reader_keys")) == (0, 0)

    migrate.downgrade(engine, "0004")
    # Before 0004's keyring move the settings knew the fingerprint only; init fills the key in.
    run(
        engine,
        "INSERT INTO instance_settings (id, submission_key_fingerprint, allow_document_uploads)"
        " VALUES (1, :fpr, :yes)",
        fpr="E" * 40,
        yes=True,
    )
    migrate.upgrade(engine, "0005")
    assert rows(engine, "SELECT fingerprint, public_key FROM reader_keys") == [("E" * 40, None)]


def test_0005_down_to_0004_keeps_the_oldest_active_key(engine: Engine) -> None:
    migrate.upgrade(engine)
    run(engine, "INSERT INTO instance_settings (id, allow_document_uploads) VALUES (1, :y)", y=True)
    add_source(engine, "a")
    for fingerprint, state, added, retired in (
        ("A" * 40, "retired", DAY, DAY),
        ("B" * 40, "active", dt.date(2024, 1, 3), None),
        ("C" * 40, "active", dt.date(2024, 1, 4), None),
    ):
        run(
            engine,
            "INSERT INTO reader_keys (fingerprint, public_key, state, added_on, retired_on)"
            " VALUES (:fpr, :armored, :state, :added, :retired)",
            fpr=fingerprint,
            armored=f"key {fingerprint[0]}",
            state=state,
            added=added,
            retired=retired,
        )
    run(
        engine,
        "INSERT INTO submission_reader_keys (submission_id, reader_key_id)"
        " SELECT submissions.id, reader_keys.id FROM submissions CROSS JOIN reader_keys",
    )

    migrate.downgrade(engine, "0004")

    assert tables(engine) == AT_0004
    assert rows(
        engine, "SELECT submission_key_fingerprint, submission_public_key FROM instance_settings"
    ) == [("B" * 40, "key B")]
    assert (count(engine, "sources"), count(engine, "submissions")) == (1, 1)

    migrate.upgrade(engine)
    assert rows(engine, "SELECT fingerprint, state FROM reader_keys") == [("B" * 40, "active")]
    assert count(engine, "submission_reader_keys") == 1


def test_a_reader_key_state_is_checked_by_the_database(engine: Engine) -> None:
    migrate.upgrade(engine)
    with pytest.raises(IntegrityError):
        run(
            engine,
            "INSERT INTO reader_keys (fingerprint, state, added_on) VALUES (:f, 'retired', :d)",
            f="D" * 40,
            d=DAY,
        )
