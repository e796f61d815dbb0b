"""The reader keys: which public keys every item is encrypted to, and how the set changes.

An instance holds a set of reader keys (one per air-gapped reader, a spare in a safe), each
active or retired. Every submission and reply is encrypted once, to all active keys usable
today; each item records which keys those were. Keys are added and retired, never removed:
a retired key is no longer encrypted to, but its reader can still open what was sent before.
Nothing here is cached between requests: a server sees a change at its next upload.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from sealdrop.crypto.gpg import Gpg
from sealdrop.db.models import ReaderKey, reply_reader_keys, submission_reader_keys
from sealdrop.domain.keys import Fingerprint, PublicKey
from sealdrop.errors import KeyImportError, ReaderKeyRefused

ACTIVE = "active"
RETIRED = "retired"
# `sealdrop check` warns this many days before an active key expires: time to make, carry over
# and test a successor on an air-gapped machine.
EXPIRY_WARNING_DAYS = 30
_FINGERPRINT = re.compile(r"[0-9A-F]{40}")


@dataclass(frozen=True)
class Unusable:
    """An active key that cannot be encrypted to today, and gpg's reason."""

    fingerprint: Fingerprint
    reason: str


@dataclass(frozen=True)
class EncryptionKeys:
    """The active keys items are encrypted to now (oldest first), and the active keys left out."""

    keys: list[PublicKey]
    dropped: list[Unusable]


@dataclass(frozen=True)
class KeyStatus:
    """One reader key as `sealdrop keys list` and `sealdrop check` report it; days only."""

    fingerprint: Fingerprint
    state: str
    added_on: dt.date
    retired_on: dt.date | None
    expires_on: dt.date | None
    unusable: str | None
    items: int
    items_only_it_opens: int


def end_of_today(gpg: Gpg) -> float:
    """gpg is told it is the end of the day while encrypting, so a key expiring later today
    already counts as expired: it would fail at the end of an upload otherwise."""
    now = gpg.now()
    return now - now % 86400 + 86399


def _rows(session: Session) -> list[ReaderKey]:
    return list(session.scalars(select(ReaderKey).order_by(ReaderKey.added_on, ReaderKey.id)))


def active_keys(session: Session) -> list[PublicKey]:
    """Every active reader key, oldest first, whether or not it can be used today."""
    return [
        PublicKey(Fingerprint(row.fingerprint), row.public_key or "")
        for row in _rows(session)
        if row.state == ACTIVE
    ]


def encryption_keys(session: Session, gpg: Gpg) -> EncryptionKeys:
    """The active keys usable today, read from the database on each call.

    An expired or revoked active key is left out, not fatal: the others still protect what
    comes in. It is reported by `sealdrop check` and at `sealdrop serve`, never logged per
    request (a log line per upload would tell when sources send).
    """
    keys: list[PublicKey] = []
    dropped: list[Unusable] = []
    at = end_of_today(gpg)
    for key in active_keys(session):
        try:
            gpg.check_usable(key, at=at)
        except KeyImportError as exc:
            dropped.append(Unusable(key.fingerprint, str(exc)))
        else:
            keys.append(key)
    return EncryptionKeys(keys, dropped)


def rows_opening(session: Session, gpg: Gpg, key_ids: Collection[str]) -> list[ReaderKey]:
    """The reader keys, active or retired, whose key or subkey has one of `key_ids`."""
    wanted = set(key_ids)
    return [
        row for row in _rows(session) if row.public_key and wanted & gpg.key_ids(row.public_key)
    ]


def rows_for(session: Session, keys: Sequence[PublicKey]) -> list[ReaderKey]:
    """The reader key rows of `keys`, to record what an item was encrypted to."""
    fingerprints = [key.fingerprint for key in keys]
    if not fingerprints:
        return []
    return list(session.scalars(select(ReaderKey).where(ReaderKey.fingerprint.in_(fingerprints))))


def normalise_fingerprint(text: str) -> Fingerprint:
    """A fingerprint as gpg prints it, with or without spaces, in either case."""
    fingerprint = "".join(text.split()).upper()
    if not _FINGERPRINT.fullmatch(fingerprint):
        raise ReaderKeyRefused(
            "That is not a full fingerprint: give all 40 hexadecimal characters, as "
            "`sealdrop keys list` shows them."
        )
    return Fingerprint(fingerprint)


def add_key(session: Session, gpg: Gpg, armored: str, *, today: dt.date) -> PublicKey:
    """Check `armored` against the key policy and make it an active reader key; commits.

    From the next upload on, every item is encrypted to it too.
    """
    checked = gpg.inspect_public_key(armored)
    existing = session.scalar(select(ReaderKey).where(ReaderKey.fingerprint == checked.fingerprint))
    if existing is not None and existing.state == RETIRED:
        raise ReaderKeyRefused(
            "That key was a reader key of this instance and is retired: a retired key does "
            "not come back. Make a new key pair and add it."
        )
    if existing is not None:
        raise ReaderKeyRefused(
            "That key is already an active reader key of this instance: `sealdrop keys list` "
            "shows them."
        )
    session.add(
        ReaderKey(
            fingerprint=checked.fingerprint,
            public_key=checked.armored,
            state=ACTIVE,
            added_on=today,
        )
    )
    session.commit()
    return checked


def add_first_key(session: Session, gpg: Gpg, armored: str, *, today: dt.date) -> None:
    """`sealdrop init --submission-key`: the first reader key; the same key again is harmless.

    A different key on an instance that has keys is refused: init must not change, unasked,
    whom submissions are encrypted to.
    """
    checked = gpg.inspect_public_key(armored)
    known = session.scalar(select(ReaderKey.id).where(ReaderKey.fingerprint == checked.fingerprint))
    if known is not None:
        return
    if active_keys(session):
        raise ReaderKeyRefused(
            "This instance already has reader keys: add another with `sealdrop keys add FILE`, "
            "retire one with `sealdrop keys retire FINGERPRINT`."
        )
    add_key(session, gpg, armored, today=today)


def retire_key(session: Session, gpg: Gpg, fingerprint: str, *, today: dt.date) -> None:
    """Stop encrypting to a key from the next upload on; commits. Items sent to it stay as
    they are, so its reader keeps the private key until they are read.

    Refused when no other active key usable today would be left: intake would close.
    """
    wanted = normalise_fingerprint(fingerprint)
    row = session.scalar(select(ReaderKey).where(ReaderKey.fingerprint == wanted))
    if row is None:
        raise ReaderKeyRefused(
            "No reader key has that fingerprint: `sealdrop keys list` shows them."
        )
    if row.state == RETIRED:
        raise ReaderKeyRefused("That reader key is already retired.")
    others = [key for key in encryption_keys(session, gpg).keys if key.fingerprint != wanted]
    if not others:
        raise ReaderKeyRefused(
            "That is the last active reader key that can be used: add its successor first "
            "with `sealdrop keys add FILE`, then retire this one."
        )
    row.state = RETIRED
    row.retired_on = today
    session.commit()


def _counts(session: Session, link: Table, item: str) -> tuple[dict[int, int], dict[int, int]]:
    """Per reader key id: items encrypted to it, and items encrypted to it alone."""
    item_id = link.c[f"{item}_id"]
    key_id = link.c.reader_key_id
    alone = select(item_id).group_by(item_id).having(func.count() == 1)
    everything = select(key_id, func.count()).group_by(key_id)
    only = select(key_id, func.count()).where(item_id.in_(alone)).group_by(key_id)
    return (
        {row[0]: row[1] for row in session.execute(everything)},
        {row[0]: row[1] for row in session.execute(only)},
    )


def _expiry_day(gpg: Gpg, armored: str) -> dt.date | None:
    expires = gpg.expiry(armored)
    return None if expires is None else dt.datetime.fromtimestamp(expires, dt.UTC).date()


def statuses(session: Session, gpg: Gpg) -> list[KeyStatus]:
    """Every reader key, oldest first, with how many stored items it can open, and alone."""
    sub_all, sub_only = _counts(session, submission_reader_keys, "submission")
    rep_all, rep_only = _counts(session, reply_reader_keys, "reply")
    dropped = {d.fingerprint: d.reason for d in encryption_keys(session, gpg).dropped}
    result = []
    for row in _rows(session):
        result.append(
            KeyStatus(
                fingerprint=Fingerprint(row.fingerprint),
                state=row.state,
                added_on=row.added_on,
                retired_on=row.retired_on,
                expires_on=_expiry_day(gpg, row.public_key) if row.public_key else None,
                unusable=dropped.get(Fingerprint(row.fingerprint)),
                items=sub_all.get(row.id, 0) + rep_all.get(row.id, 0),
                items_only_it_opens=sub_only.get(row.id, 0) + rep_only.get(row.id, 0),
            )
        )
    return result


def describe(status: KeyStatus) -> str:
    """One line: the key, its state and days, and what it opens."""
    if status.state == RETIRED:
        state = f"retired on {status.retired_on} (added {status.added_on})"
    else:
        state = f"active since {status.added_on}"
    expires = f"expires {status.expires_on}" if status.expires_on else "does not expire"
    opens = f"opens {status.items} item(s), {status.items_only_it_opens} that no other key opens"
    return f"{status.fingerprint}  {state}, {expires}; {opens}"


def warnings(keys: Sequence[KeyStatus], *, today: dt.date) -> list[str]:
    """What an operator must act on: an active key expiring soon or unusable, or none usable."""
    found: list[str] = []
    usable = 0
    for key in keys:
        if key.state != ACTIVE:
            continue
        if key.unusable is not None:
            found.append(
                f"reader key {key.fingerprint} is active but cannot be used ({key.unusable}): "
                "new items are not encrypted to it; retire it with "
                f"`sealdrop keys retire {key.fingerprint}`"
            )
            continue
        usable += 1
        if key.expires_on is not None and (key.expires_on - today).days <= EXPIRY_WARNING_DAYS:
            days = (key.expires_on - today).days
            found.append(
                f"reader key {key.fingerprint} expires on {key.expires_on} (in {days} day(s)): "
                "add its successor with `sealdrop keys add FILE` and retire it once its reader "
                "opens a test submission"
            )
    if usable == 0:
        found.append(
            "no active reader key can be used: submissions are paused until one is added "
            "with `sealdrop keys add FILE`"
        )
    return found
