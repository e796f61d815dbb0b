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
from sealdrop.errors import (
    CodenameTaken,
    CodenameUnknown,
    CreationThrottled,
    DesignationExhausted,
    LoginThrottled,
)
from sealdrop.services import throttle

DESIGNATION_DRAWS = 20


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
    session: Session, gpg: Gpg, *, config: Config, codename: Codename, now: dt.datetime
) -> SourceLogin:
    """Record a new source and make its reply key pair at once; nothing stays if a step fails.

    Raises CreationThrottled when too many sources were created in the throttle window.
    """
    window = config.throttle_window_seconds
    made = throttle.count(session, prefix=throttle.CREATE, now=now, window_seconds=window)
    if made >= config.new_sources_per_window:
        raise CreationThrottled(
            "Many people asked for a codename just now. Wait a minute and try again."
        )
    source_id, passphrase = _derive(config, codename)
    if session.scalar(select(Source.id).where(Source.filesystem_id == source_id)) is not None:
        raise CodenameTaken("That codename cannot be used. Please get a new one.")
    designation = _free_designation(session)
    fingerprint = gpg.generate_source_key(passphrase)
    source = Source(
        filesystem_id=source_id,
        journalist_designation=designation,
        key_fingerprint=fingerprint,
        interaction_count=0,
        pending=True,
        is_starred=False,
        created_on=now.date(),
        last_updated=now.date(),
    )
    try:
        session.add(source)
        session.commit()
    except BaseException as exc:
        session.rollback()
        gpg.delete_key_pair(fingerprint)
        if isinstance(exc, IntegrityError):
            raise CodenameTaken("That codename cannot be used. Please get a new one.") from None
        raise
    throttle.record(session, key=throttle.CREATE, now=now, window_seconds=window)
    return SourceLogin(source, passphrase)


def authenticate_source(
    session: Session, *, config: Config, typed: str, now: dt.datetime
) -> SourceLogin:
    """Find the source a typed codename belongs to, throttling wrong guesses.

    A correct codename is never refused: only wrong ones are counted, under their own hash, so
    no one can lock a source out. Raises CodenameMalformed, CodenameUnknown or LoginThrottled.
    """
    window = config.throttle_window_seconds
    codename = codenames.normalise(typed)
    source_id, passphrase = _derive(config, codename)
    key = throttle.LOGIN + source_id
    if throttle.count(session, prefix=key, now=now, window_seconds=window) >= (
        config.failed_logins_per_codename
    ):
        raise LoginThrottled(
            "Too many codenames were tried in the last minute. Wait a minute, then try again."
        )
    source = session.scalar(select(Source).where(Source.filesystem_id == source_id))
    if source is not None:
        return SourceLogin(source, passphrase)
    throttle.record(session, key=key, now=now, window_seconds=window)
    if throttle.count(session, prefix=throttle.LOGIN, now=now, window_seconds=window) > (
        config.failed_logins_global
    ):
        raise LoginThrottled(
            "Too many codenames were tried in the last minute. Wait a minute, then try again."
        )
    raise CodenameUnknown("No source has that codename. Check each word and try again.")


def source_by_uuid(session: Session, source_uuid: str) -> Source | None:
    return session.scalar(select(Source).where(Source.uuid == source_uuid))
