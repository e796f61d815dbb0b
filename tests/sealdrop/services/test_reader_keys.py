"""Several reader keys: each item encrypted once to all active keys, recorded; add and retire."""

from __future__ import annotations

import datetime as dt
import gzip
import re
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from sealdrop.db.models import ReaderKey, Reply, Source, Submission
from sealdrop.errors import KeyImportError, ReaderKeyRefused, SubmissionsClosed
from sealdrop.runtime.instance import Instance
from sealdrop.services import reader_keys as keys
from sealdrop.services.consistency import key_report
from sealdrop.services.intake import usable_reader_keys
from sealdrop.services.replies import create_reply
from sealdrop.services.submissions import accept
from tests.harness import TODAY, OddKeys, ReaderKeys, new_source
from tests.sealdrop.services.submission_helpers import recipients, upload

# `sealdrop init` adds the first key on the real day; later changes follow it.
# A day after every key in these tests was added, whenever the run crosses midnight.
LATER = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=33)


def add(inst: Instance, armored: str, *, today: dt.date | None = None) -> None:
    """`sealdrop keys add`, on the day it runs (a test may cross midnight UTC after `init`)."""
    with inst.sessions() as session:
        keys.add_key(session, inst.gpg, armored, today=today or dt.datetime.now(dt.UTC).date())


def retire(inst: Instance, fingerprint: str, *, today: dt.date = LATER) -> None:
    with inst.sessions() as session:
        keys.retire_key(session, inst.gpg, fingerprint, today=today)


def send(inst: Instance, session: Session, source: Source, text: str) -> list[Path]:
    """A message and a file in one submission, and a reply: to the keys active right now."""
    to = recipients(inst, session)
    file = upload(inst, source, "notes.txt", f"file: {text}".encode(), to=to)
    records = accept(
        session,
        inst.store,
        inst.gpg,
        source=source,
        message=f"message: {text}",
        uploads=[file],
        recipients=to,
        today=TODAY,
    )
    reply = create_reply(
        session,
        inst.store,
        inst.gpg,
        source=source,
        text=f"reply: {text}",
        readers=usable_reader_keys(session, inst.gpg),
        today=TODAY,
    )
    names = [record.filename for record in records] + [reply.filename]
    return [inst.store.path_of(source.filesystem_id, name) for name in names]


def recorded(session: Session) -> dict[str, list[str]]:
    """Each stored item's file name and the fingerprints it was recorded as encrypted to."""
    session.expire_all()
    items: list[Submission | Reply] = [
        *session.scalars(select(Submission)),
        *session.scalars(select(Reply)),
    ]
    return {item.filename: [key.fingerprint for key in item.reader_keys] for item in items}


def test_with_two_active_keys_each_reader_alone_opens_every_item(
    instance: Instance, reader_keys: ReaderKeys, second_reader_keys: ReaderKeys
) -> None:
    add(instance, second_reader_keys.public_key)
    with instance.sessions() as session:
        _, login = new_source(instance, session)
        paths = send(instance, session, login.source, "both")
        both = sorted([reader_keys.fingerprint, second_reader_keys.fingerprint])
        assert {name: sorted(fprs) for name, fprs in recorded(session).items()} == {
            path.name: both for path in paths
        }
    message, file, reply = paths
    for reader in (reader_keys, second_reader_keys):
        assert reader.decrypt(message) == b"message: both"
        assert b"file: both" in _gunzip(reader.decrypt(file))
        assert reader.decrypt(reply) == b"reply: both"


def _gunzip(data: bytes) -> bytes:
    return gzip.decompress(data)


def test_one_ciphertext_with_a_session_key_packet_per_key(
    instance: Instance, second_reader_keys: ReaderKeys
) -> None:
    add(instance, second_reader_keys.public_key)
    with instance.sessions() as session:
        _, login = new_source(instance, session)
        message, _file, reply = send(instance, session, login.source, "packets")
    assert _session_key_packets(message) == 2
    assert _session_key_packets(reply) == 3  # the source's own key too


def _session_key_packets(path: Path) -> int:
    listing = subprocess.run(
        ["gpg", "--batch", "--list-packets", "--homedir", str(path.parent), str(path)],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    return len(re.findall(r"^:pubkey enc packet:", listing, flags=re.MULTILINE))


def test_after_retiring_a_key_new_items_go_to_the_other_and_old_ones_still_open(
    instance: Instance, reader_keys: ReaderKeys, second_reader_keys: ReaderKeys
) -> None:
    add(instance, second_reader_keys.public_key)
    with instance.sessions() as session:
        _, login = new_source(instance, session)
        before = send(instance, session, login.source, "before")
    retire(instance, reader_keys.fingerprint)
    with instance.sessions() as session:
        source = session.get(Source, login.source.id)
        assert source is not None
        after = send(instance, session, source, "after")
        record = recorded(session)
        [row] = session.scalars(
            select(ReaderKey).where(ReaderKey.fingerprint == reader_keys.fingerprint)
        ).all()
        assert (row.state, row.retired_on) == ("retired", LATER)

    for path in before:
        assert reader_keys.can_decrypt(path) and second_reader_keys.can_decrypt(path)
    for path in after:
        assert record[path.name] == [second_reader_keys.fingerprint]
        assert second_reader_keys.can_decrypt(path)
        assert not reader_keys.can_decrypt(path)


def test_check_counts_per_key_what_only_it_opens(
    instance: Instance, reader_keys: ReaderKeys, second_reader_keys: ReaderKeys
) -> None:
    with instance.sessions() as session:
        _, login = new_source(instance, session)
        send(instance, session, login.source, "first only")  # 3 items, first key alone
    add(instance, second_reader_keys.public_key)
    with instance.sessions() as session:
        source = session.get(Source, login.source.id)
        assert source is not None
        send(instance, session, source, "both")  # 3 items, both keys
    retire(instance, reader_keys.fingerprint)
    with instance.sessions() as session:
        source = session.get(Source, login.source.id)
        assert source is not None
        send(instance, session, source, "second only")  # 3 items, second key alone

        statuses = {status.fingerprint: status for status in keys.statuses(session, instance.gpg)}
        report = key_report(session, instance.gpg, today=LATER)

    first, second = statuses[reader_keys.fingerprint], statuses[second_reader_keys.fingerprint]
    assert (first.state, first.items, first.items_only_it_opens) == ("retired", 6, 3)
    assert (second.state, second.items, second.items_only_it_opens) == ("active", 6, 3)
    assert report.problems == []
    # Listed by the day each was added (the first when `init` ran, the second by `add`).
    assert report.keys == [
        f"reader key {reader_keys.fingerprint}  retired on {LATER} (added {first.added_on}), "
        "does not expire; opens 6 item(s), 3 that no other key opens",
        f"reader key {second_reader_keys.fingerprint}  active since {second.added_on}, "
        "does not expire; opens 6 item(s), 3 that no other key opens",
    ]
    assert first.added_on <= second.added_on


def test_check_warns_30_days_before_an_active_key_expires(
    instance: Instance, odd_keys: OddKeys
) -> None:
    add(instance, odd_keys.expires_in_20_days)
    today = dt.datetime.fromtimestamp(instance.gpg.now(), dt.UTC).date()
    with instance.sessions() as session:
        soon = next(s for s in keys.statuses(session, instance.gpg) if s.expires_on)
        in_days = (soon.expires_on - today).days if soon.expires_on else None
        assert in_days in (19, 20)  # made moments ago, for 20 days
        report = key_report(session, instance.gpg, today=today)
        assert report.problems == [
            f"reader key {soon.fingerprint} expires on {soon.expires_on} (in {in_days} "
            "day(s)): add its successor with `sealdrop keys add FILE` and retire it once its "
            "reader opens a test submission"
        ]
        # Two months earlier, nothing to say yet.
        earlier = key_report(session, instance.gpg, today=today - dt.timedelta(days=60))
        assert earlier.problems == []


def test_an_expired_active_key_is_left_out_and_reported(
    instance: Instance, reader_keys: ReaderKeys, expiring_key: str
) -> None:
    add(instance, expiring_key)  # valid now, but not at the end of the day, when keys are checked
    with instance.sessions() as session:
        assert [k.fingerprint for k in usable_reader_keys(session, instance.gpg)] == [
            reader_keys.fingerprint
        ]
        [dropped] = keys.encryption_keys(session, instance.gpg).dropped
        [warning] = key_report(session, instance.gpg, today=TODAY).problems
    assert "expired" in dropped.reason
    assert warning.startswith(f"reader key {dropped.fingerprint} is active but cannot be used")
    assert f"`sealdrop keys retire {dropped.fingerprint}`" in warning
    # Nor can the last usable key be retired while the other is expired: intake would close.
    with pytest.raises(ReaderKeyRefused, match="last active reader key that can be used"):
        retire(instance, reader_keys.fingerprint)


def test_with_no_usable_active_key_intake_closes(
    instance: Instance, reader_keys: ReaderKeys, expiring_key: str
) -> None:
    add(instance, expiring_key)
    with instance.sessions() as session:
        row = session.scalars(
            select(ReaderKey).where(ReaderKey.fingerprint == reader_keys.fingerprint)
        ).one()
        # As if retired while the other was still valid (retiring it now is refused, above).
        row.state, row.retired_on = "retired", LATER
        session.commit()
        with pytest.raises(SubmissionsClosed) as closed:
            recipients(instance, session)
        assert closed.value.reason is not None and "expired" in closed.value.reason
        assert (
            key_report(session, instance.gpg, today=TODAY)
            .problems[-1]
            .startswith("no active reader key can be used")
        )


def test_refusals_say_why(
    instance: Instance, reader_keys: ReaderKeys, second_reader_keys: ReaderKeys, odd_keys: OddKeys
) -> None:
    with pytest.raises(ReaderKeyRefused, match="already an active reader key"):
        add(instance, reader_keys.public_key)
    with pytest.raises(ReaderKeyRefused, match="last active reader key"):
        retire(instance, reader_keys.fingerprint)
    with pytest.raises(ReaderKeyRefused, match="No reader key has that fingerprint"):
        retire(instance, second_reader_keys.fingerprint)
    with pytest.raises(ReaderKeyRefused, match="not a full fingerprint"):
        retire(instance, reader_keys.fingerprint[-16:])
    with pytest.raises(KeyImportError, match="private key"):
        add(instance, reader_keys.export_secret_key())
    for armored, why in (
        (odd_keys.revoked, "revoked"),
        (odd_keys.expired, "expired"),
        (odd_keys.weak, "too weak"),
    ):
        with pytest.raises(KeyImportError, match=why):
            add(instance, armored)
    add(instance, second_reader_keys.public_key)
    # Spaces and lower case, as people copy fingerprints.
    spaced = " ".join(re.findall("....", reader_keys.fingerprint.lower()))
    retire(instance, spaced)
    with pytest.raises(ReaderKeyRefused, match="already retired"):
        retire(instance, reader_keys.fingerprint)
    with pytest.raises(ReaderKeyRefused, match="retired: a retired key does not come back"):
        add(instance, reader_keys.public_key)
    with instance.sessions() as session:
        assert [k.fingerprint for k in keys.active_keys(session)] == [
            second_reader_keys.fingerprint
        ]
