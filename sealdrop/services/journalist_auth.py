"""Journalist logins (passphrase and a single-use second factor) and API tokens."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, delete, or_, select, update
from sqlalchemy.orm import Session

from sealdrop.config import Config
from sealdrop.crypto import otp
from sealdrop.crypto.passwords import Argon2Cost, hash_passphrase, needs_rehash, verify_passphrase
from sealdrop.db.models import ApiToken, Journalist
from sealdrop.errors import LoginFailed, LoginThrottled
from sealdrop.services.journalists import by_username
from sealdrop.services.throttle import LoginThrottle

TOKEN_BYTES = 32
WRONG = "The username, passphrase or two-factor code is wrong."


def _throttled() -> LoginThrottled:
    return LoginThrottled("Too many failed logins recently. Wait a few minutes, then try again.")


def login_throttle(config: Config) -> LoginThrottle:
    """Failed logins per username and overall, counted in this process's memory only."""
    settings = config.journalist
    return LoginThrottle(
        window_seconds=settings.throttle_window_seconds,
        per_codename=settings.failed_logins_per_account,
        overall=settings.failed_logins_global,
        refusal=_throttled,
    )


@functools.cache
def _decoy_hash(cost: Argon2Cost) -> str:
    # Checked against when the username is unknown, so both cases cost one Argon2 run.
    return hash_passphrase(secrets.token_hex(16), cost=cost)


@dataclass(frozen=True)
class Credentials:
    username: str
    passphrase: str
    code: str


def _use_second_factor(session: Session, journalist: Journalist, code: str, now: float) -> bool:
    """Accept `code` once: the conditional update lets only one of two racing logins win."""
    if journalist.otp_kind == "hotp":
        counter = otp.hotp_counter(
            journalist.otp_secret, code, next_counter=journalist.hotp_counter
        )
        if counter is None:
            return False
        won = session.execute(
            update(Journalist)
            .where(Journalist.id == journalist.id, Journalist.hotp_counter <= counter)
            .values(hotp_counter=counter + 1)
        )
    else:
        step = otp.totp_step(
            journalist.otp_secret, code, now=now, after_step=journalist.last_totp_step
        )
        if step is None:
            return False
        won = session.execute(
            update(Journalist)
            .where(
                Journalist.id == journalist.id,
                or_(Journalist.last_totp_step.is_(None), Journalist.last_totp_step < step),
            )
            .values(last_totp_step=step)
        )
    return cast("CursorResult[Any]", won).rowcount == 1


def authenticate(
    session: Session,
    throttle: LoginThrottle,
    *,
    credentials: Credentials,
    cost: Argon2Cost,
    now: float,
) -> Journalist:
    """The journalist, logged in and committed; LoginFailed (never saying which part was wrong)
    or LoginThrottled otherwise."""
    username = credentials.username.strip().lower()
    throttle.check(username)
    journalist = by_username(session, username)
    stored = journalist.passphrase_hash if journalist else _decoy_hash(cost)
    passphrase_ok = verify_passphrase(stored, credentials.passphrase, cost=cost)
    if journalist is None or not passphrase_ok:
        throttle.record_failure(username)
        raise LoginFailed(WRONG)
    if not _use_second_factor(session, journalist, credentials.code, now):
        session.rollback()
        throttle.record_failure(username)
        raise LoginFailed(WRONG)
    if needs_rehash(journalist.passphrase_hash, cost=cost):
        journalist.passphrase_hash = hash_passphrase(credentials.passphrase, cost=cost)
    journalist.last_login = dt.datetime.fromtimestamp(now, dt.UTC).date()
    session.commit()
    session.refresh(journalist)
    return journalist


def passphrase_matches(journalist: Journalist, passphrase: str, *, cost: Argon2Cost) -> bool:
    """For changes that ask for the current passphrase again."""
    return verify_passphrase(journalist.passphrase_hash, passphrase, cost=cost)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(
    session: Session, journalist: Journalist, *, now: dt.datetime, hours: int
) -> tuple[str, dt.datetime]:
    """A new API token and when it expires; the database keeps only its hash. Committed."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    expires = now + dt.timedelta(hours=hours)
    session.execute(delete(ApiToken).where(ApiToken.expires <= now))
    session.add(
        ApiToken(token_hash=_token_hash(token), journalist_id=journalist.id, expires=expires)
    )
    session.commit()
    return token, expires


def journalist_for_token(session: Session, token: str, *, now: dt.datetime) -> Journalist | None:
    """The token's journalist while it is valid; None for an unknown, expired or revoked one."""
    row = session.get(ApiToken, _token_hash(token))
    if row is None or row.expires <= now:
        return None
    return session.get(Journalist, row.journalist_id)


def revoke_token(session: Session, token: str) -> None:
    session.execute(delete(ApiToken).where(ApiToken.token_hash == _token_hash(token)))
    session.commit()


def token_count(session: Session, journalist: Journalist) -> int:
    return len(
        session.scalars(select(ApiToken).where(ApiToken.journalist_id == journalist.id)).all()
    )
