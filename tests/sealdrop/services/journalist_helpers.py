"""Accounts for the journalist tests: created through the services, with codes made as an
authenticator app makes them."""

from __future__ import annotations

import datetime as dt

import pyotp
from sqlalchemy import select
from sqlalchemy.orm import Session

from sealdrop.config import Config
from sealdrop.db.models import AuditEvent, Journalist
from sealdrop.runtime.instance import Instance
from sealdrop.services import journalists
from sealdrop.services.journalists import Profile, TwoFactor

PASSPHRASE = "violin tundra pebble swerve oasis lantern fjord"
TODAY = dt.date(2026, 11, 30)
NOW = 1_800_000_000.0


def audit_trail(inst: Instance) -> list[tuple[str, str, str]]:
    """Who did what to whom, oldest first."""
    with inst.sessions() as session:
        events = session.scalars(select(AuditEvent).order_by(AuditEvent.id))
        return [(e.actor, e.action, e.target) for e in events]


def add_journalist(
    session: Session, config: Config, username: str = "dana", *, admin: bool = False
) -> Journalist:
    journalist = journalists.create(
        session,
        profile=Profile(username, "Dana", "Scully", is_admin=admin),
        passphrase=PASSPHRASE,
        second_factor=TwoFactor.new_totp(),
        cost=journalists.argon2_cost(config),
        today=TODAY,
    )
    session.commit()
    return journalist


def code(journalist: Journalist, *, at: float = NOW) -> str:
    return pyotp.TOTP(journalist.otp_secret).at(at)
