"""Sources: creation from a codename, login with it, and finding a logged-in source again."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sealdrop import codenames, designations, kdf
from sealdrop.codenames import Codename
from sealdrop.config import Config
from sealdrop.crypto.gpg import Gpg, Passphrase
from sealdrop.db.models import Source
from sealdrop.errors import CodenameUnknown, DesignationExhausted, SealdropError
from sealdrop.services import throttle

DESIGNATION_DRAWS = 20


class CodenameTaken(SealdropError):
    """The new codename collides with an existing source (about 1 in 2^90); get a new one."""


@dataclass(frozen=True)
class SourceLogin:
    """A source with the reply-key passphrase derived from its codename, for this request only."""

    source: Source
    reply_passphrase: Passphrase


def _derive(config: Config, codename: Codename) -> tuple[str, Passphrase]:
    salts = config.require_secrets()
    source_id = kdf.source_id(codename, salt=salts.source_id_salt, cost=config.kdf)
    passphrase = kdf.reply_key_passphrase(codename, salt=salts.reply_key_salt, cost=config.kdf)
    return source_id, Passphrase(passphrase)


def _free_designation(session: Session) -> str:
    for _ in range(DESIGNATION_DRAWS):
        candidate = designations.draw()
        taken = select(Source.id).where(Source.journalist_designation == candidate)
        if session.scalar(taken) is None:
            return candidate
    raise DesignationExhausted("No free journalist designation was found; try again.")


def create_source(
    session: Session, gpg: Gpg, *, config: Config, codename: Codename, today: dt.date
) -> SourceLogin:
    """Record a new source and make its reply key pair at once; nothing stays if a step fails."""
    source_id, passphrase = _derive(config, codename)
    if session.scalar(select(Source.id).where(Source.filesystem_id == source_id)) is not None:
        raise CodenameTaken("That codename cannot be used. Please get a new one.")
    fingerprint = gpg.generate_source_key(passphrase)
    source = Source(
        filesystem_id=source_id,
        journalist_designation=_free_designation(session),
        key_fingerprint=fingerprint,
        interaction_count=0,
        pending=True,
        is_starred=False,
        created_on=today,
        last_updated=today,
    )
    try:
        session.add(source)
        session.commit()
    except IntegrityError:
        session.rollback()
        gpg.delete_key_pair(fingerprint)
        raise CodenameTaken("That codename cannot be used. Please get a new one.") from None
    except BaseException:
        session.rollback()
        gpg.delete_key_pair(fingerprint)
        raise
    return SourceLogin(source, passphrase)


def authenticate_source(
    session: Session, *, config: Config, typed: str, now: dt.datetime
) -> SourceLogin:
    """Find the source a typed codename belongs to, throttling wrong guesses.

    Raises CodenameMalformed, CodenameUnknown or LoginThrottled.
    """
    window = config.throttle_window_seconds
    throttle.check(
        session,
        key=throttle.GLOBAL_KEY,
        limit=config.failed_logins_global,
        now=now,
        window_seconds=window,
    )
    codename = codenames.normalise(typed)
    source_id, passphrase = _derive(config, codename)
    throttle.check(
        session,
        key=source_id,
        limit=config.failed_logins_per_codename,
        now=now,
        window_seconds=window,
    )
    source = session.scalar(select(Source).where(Source.filesystem_id == source_id))
    if source is None:
        throttle.record_failure(session, key=source_id, now=now, window_seconds=window)
        raise CodenameUnknown("No source has that codename. Check each word and try again.")
    return SourceLogin(source, passphrase)


def source_by_uuid(session: Session, source_uuid: str) -> Source | None:
    return session.scalar(select(Source).where(Source.uuid == source_uuid))
