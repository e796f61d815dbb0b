"""Journalist accounts: create, edit, change a passphrase, reset two factors, delete."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from sealdrop.config import Config
from sealdrop.crypto import otp
from sealdrop.crypto.passwords import Argon2Cost, hash_passphrase
from sealdrop.db.models import ApiToken, Journalist, JournalistDevice
from sealdrop.domain import passphrases
from sealdrop.errors import AccountInvalid, NotFound, TwoFactorInvalid
from sealdrop.services import versions

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
MAX_NAME_CHARS = 100


@dataclass(frozen=True)
class Profile:
    """What an admin sets about an account besides its secrets."""

    username: str
    first_name: str | None = None
    last_name: str | None = None
    is_admin: bool = False


@dataclass(frozen=True)
class TwoFactor:
    """A second factor being enrolled: TOTP from an app, or HOTP from a hardware token."""

    secret: str
    kind: str = "totp"

    @classmethod
    def new_totp(cls) -> TwoFactor:
        return cls(otp.new_secret())

    @classmethod
    def hotp(cls, secret: str) -> TwoFactor:
        cleaned = otp.normalise_secret(secret)
        if cleaned is None:
            raise TwoFactorInvalid(
                "That HOTP secret is neither 40 hex digits nor base32 of at least 112 bits."
            )
        return cls(cleaned, "hotp")


def argon2_cost(config: Config) -> Argon2Cost:
    settings = config.journalist
    return Argon2Cost(
        time_cost=settings.argon2_time_cost,
        memory_kib=settings.argon2_memory_kib,
        parallelism=settings.argon2_parallelism,
    )


def _clean_name(value: str | None) -> str | None:
    cleaned = (value or "").strip()
    if len(cleaned) > MAX_NAME_CHARS or any(not c.isprintable() for c in cleaned):
        raise AccountInvalid(f"A name has at most {MAX_NAME_CHARS} printable characters.")
    return cleaned or None


def _clean_username(value: str) -> str:
    username = value.strip().lower()
    if not USERNAME_PATTERN.fullmatch(username):
        raise AccountInvalid(
            "A username has 3 to 64 characters: lowercase letters, digits, '.', '_' or '-'."
        )
    return username


def by_username(session: Session, username: str) -> Journalist | None:
    return session.scalar(select(Journalist).where(Journalist.username == username.lower()))


def by_uuid(session: Session, journalist_uuid: str) -> Journalist:
    found = session.scalar(select(Journalist).where(Journalist.uuid == journalist_uuid))
    if found is None:
        raise NotFound("There is no such journalist.")
    return found


def everyone(session: Session) -> list[Journalist]:
    return list(session.scalars(select(Journalist).order_by(Journalist.username)))


def create(
    session: Session,
    *,
    profile: Profile,
    passphrase: str,
    second_factor: TwoFactor,
    cost: Argon2Cost,
    today: dt.date,
) -> Journalist:
    """Add an account (flushed, not committed: the caller audits and commits)."""
    username = _clean_username(profile.username)
    if by_username(session, username) is not None:
        raise AccountInvalid("That username is taken.")
    passphrases.require_strong(passphrase, username=username)
    journalist = Journalist(
        username=username,
        first_name=_clean_name(profile.first_name),
        last_name=_clean_name(profile.last_name),
        is_admin=profile.is_admin,
        passphrase_hash=hash_passphrase(passphrase, cost=cost),
        otp_kind=second_factor.kind,
        otp_secret=second_factor.secret,
        hotp_counter=0,
        session_epoch=0,
        created_on=today,
    )
    session.add(journalist)
    versions.refresh_journalist_version(session, journalist)
    return journalist


def _admins_left_without(session: Session, journalist: Journalist) -> int:
    query = select(func.count()).where(Journalist.is_admin, Journalist.id != journalist.id)
    return int(session.scalar(query) or 0)


def edit(session: Session, journalist: Journalist, *, profile: Profile) -> None:
    """Rename or change the admin flag; the last admin cannot give up being one."""
    username = _clean_username(profile.username)
    other = by_username(session, username)
    if other is not None and other.id != journalist.id:
        raise AccountInvalid("That username is taken.")
    if (
        journalist.is_admin
        and not profile.is_admin
        and not _admins_left_without(session, journalist)
    ):
        raise AccountInvalid("The last admin cannot stop being an admin.")
    journalist.username = username
    journalist.first_name = _clean_name(profile.first_name)
    journalist.last_name = _clean_name(profile.last_name)
    journalist.is_admin = profile.is_admin
    versions.refresh_journalist_version(session, journalist)


def end_sessions(session: Session, journalist: Journalist) -> None:
    """Every web session and API token of this journalist stops working now."""
    session.execute(
        update(Journalist)
        .where(Journalist.id == journalist.id)
        .values(session_epoch=Journalist.session_epoch + 1)
    )
    session.execute(delete(ApiToken).where(ApiToken.journalist_id == journalist.id))
    session.refresh(journalist)


def change_passphrase(
    session: Session, journalist: Journalist, *, new: str, cost: Argon2Cost
) -> None:
    passphrases.require_strong(new, username=journalist.username)
    journalist.passphrase_hash = hash_passphrase(new, cost=cost)
    session.flush()
    end_sessions(session, journalist)


def reset_two_factor(session: Session, journalist: Journalist, *, second_factor: TwoFactor) -> None:
    """A new secret; the old one, and every session made with it, stop working."""
    journalist.otp_kind = second_factor.kind
    journalist.otp_secret = second_factor.secret
    journalist.hotp_counter = 0
    journalist.last_totp_step = None
    session.flush()
    end_sessions(session, journalist)


def require_removable(session: Session, journalist: Journalist) -> None:
    """Refuse, before anything changes, to delete the last admin."""
    if journalist.is_admin and not _admins_left_without(session, journalist):
        raise AccountInvalid("The last admin cannot be deleted.")


def remove(session: Session, journalist: Journalist) -> None:
    """Delete the account; its replies stay, shown as by a deleted journalist.

    Its devices must be revoked first (`devices.revoke_all_of`): the database would drop their
    rows with the account, but only a revocation takes their keys out of Tor's list.
    """
    require_removable(session, journalist)
    has_devices = select(JournalistDevice.id).where(JournalistDevice.journalist_id == journalist.id)
    if session.scalar(has_devices.limit(1)) is not None:
        raise AccountInvalid(f"Revoke {journalist.username}'s devices before deleting the account.")
    versions.forget_journalist(session, journalist)
    session.delete(journalist)
    session.flush()
