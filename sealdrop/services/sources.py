"""Sources: a new codename (nothing stored yet), the row made at the first submission, login.

A codename that never submits costs only its two scrypt derivations: no row, no key, no file.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sealdrop.config import Config
from sealdrop.crypto import kdf
from sealdrop.crypto.gpg import Gpg
from sealdrop.crypto.source_keys import SourceKey, needs_reprotection
from sealdrop.db.models import Source
from sealdrop.domain import codenames, designations
from sealdrop.domain.codenames import Codename
from sealdrop.domain.keys import Fingerprint, Passphrase, PublicKey
from sealdrop.errors import CodenameTaken, CodenameUnknown, DesignationExhausted
from sealdrop.services.throttle import LoginThrottle
from sealdrop.storage.store import Store

DESIGNATION_DRAWS = 20
ROW_ATTEMPTS = 3


@dataclass(frozen=True)
class NewSource:
    """A source with a codename but no submission yet: nothing of it exists on the server."""

    filesystem_id: str
    reply_passphrase: Passphrase


@dataclass(frozen=True)
class SourceLogin:
    """A source's row with the reply-key passphrase derived from its codename, for this request."""

    source: Source
    reply_passphrase: Passphrase


def _filesystem_id(config: Config, codename: Codename) -> str:
    salts = config.require_secrets()
    return kdf.filesystem_id(codename, salt=salts.filesystem_id_salt, cost=config.kdf)


def _passphrase(config: Config, codename: Codename) -> Passphrase:
    salts = config.require_secrets()
    derived = kdf.reply_key_passphrase(codename, salt=salts.reply_key_salt, cost=config.kdf)
    return Passphrase(derived)


def find(session: Session, filesystem_id: str) -> Source | None:
    return session.scalar(select(Source).where(Source.filesystem_id == filesystem_id))


def begin_source(session: Session, *, config: Config, codename: Codename) -> NewSource:
    """Derive what a new source's session needs; store nothing (the codename is not kept)."""
    filesystem_id = _filesystem_id(config, codename)
    if find(session, filesystem_id) is not None:
        raise CodenameTaken("That codename cannot be used. Please get a new one.")
    return NewSource(filesystem_id, _passphrase(config, codename))


def _free_designation(session: Session, rng: random.Random) -> str:
    for _ in range(DESIGNATION_DRAWS):
        candidate = designations.draw(rng)
        taken = select(Source.id).where(Source.journalist_designation == candidate)
        if session.scalar(taken) is None:
            return candidate
    raise DesignationExhausted("No free journalist designation was found; try again.")


def create_row(
    session: Session, gpg: Gpg, *, new: NewSource, today: dt.date, rng: random.Random | None = None
) -> Source:
    """The row of a source's first submission, with its key pair; flushed, not committed.

    The caller commits it together with the submission, or rolls both back. Two first
    submissions at once from the same source make one row: the second finds the first's.
    """
    existing = find(session, new.filesystem_id)
    if existing is not None:  # another tab's first submission got there first
        return existing
    key = gpg.generate_source_key(new.reply_passphrase)
    for _ in range(ROW_ATTEMPTS):
        source = Source(
            filesystem_id=new.filesystem_id,
            journalist_designation=_free_designation(session, rng or designations.SYSTEM_RANDOM),
            key_fingerprint=key.public.fingerprint,
            public_key=key.public.armored,
            secret_key=key.secret,
            interaction_count=0,
            is_starred=False,
            created_on=today,
            last_updated=today,
        )
        try:
            with session.begin_nested():
                session.add(source)
            return source
        except IntegrityError:
            existing = find(session, new.filesystem_id)
            if existing is not None:
                return existing
            # Otherwise the designation was taken meanwhile by another new source: draw again.
    raise DesignationExhausted("No free journalist designation was found; try again.")


def authenticate_source(
    session: Session, gpg: Gpg, *, config: Config, throttle: LoginThrottle, typed: str
) -> SourceLogin:
    """Find the source a typed codename belongs to; derive its key passphrase only then.

    Raises CodenameMalformed, CodenameUnknown, or LoginThrottled when this process saw too
    many wrong codenames lately (the one typed, or all together). A codename that never
    submitted has no row, so it is unknown. A key moved out of an old keyring is re-protected
    at its source's first login, which drops the second it was made (see Gpg.reprotect).
    """
    codename = codenames.normalise(typed)
    # Before scrypt: a flood of guesses is turned away for the price of a keyed hash.
    throttle.check(codename)
    source = find(session, _filesystem_id(config, codename))
    if source is None:
        throttle.record_failure(codename)
        raise CodenameUnknown("No source has that codename. Check each word and try again.")
    passphrase = _passphrase(config, codename)
    _renew_protection(session, gpg, source, passphrase)
    return SourceLogin(source, passphrase)


def _renew_protection(session: Session, gpg: Gpg, source: Source, passphrase: Passphrase) -> None:
    if source.public_key is None or source.secret_key is None:
        return
    key = SourceKey(
        PublicKey(Fingerprint(source.key_fingerprint), source.public_key), source.secret_key
    )
    if needs_reprotection(key):
        source.secret_key = gpg.reprotect(key, passphrase).secret
        session.commit()


def source_by_uuid(session: Session, source_uuid: str) -> Source | None:
    return session.scalar(select(Source).where(Source.uuid == source_uuid))


def delete_source(session: Session, store: Store, *, source: Source) -> None:
    """Remove a source for good: its row (key, submissions and replies with it), then its files.

    The row goes first: without it the codename no longer logs in, whatever happens next.
    """
    folder = source.filesystem_id
    session.delete(source)
    session.commit()
    store.delete_source(folder)
