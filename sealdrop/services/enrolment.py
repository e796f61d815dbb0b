"""Two-factor enrolment: a new secret replaces the old one only once a code from it is typed."""

from __future__ import annotations

from sqlalchemy.orm import Session

from sealdrop.crypto import otp
from sealdrop.db.models import Journalist
from sealdrop.errors import TwoFactorInvalid
from sealdrop.services.journalists import TwoFactor, reset_two_factor

WRONG_CODE = (
    "That code does not match the new secret. Check the device's clock, scan the code again "
    "if needed, and type the newest code."
)


def provisioning_uri(second_factor: TwoFactor, *, account: str, issuer: str) -> str:
    """The otpauth:// URI an authenticator app reads from the enrolment QR code."""
    return otp.provisioning_uri(second_factor.secret, account=account, issuer=issuer)


def confirm(
    session: Session, journalist: Journalist, *, second_factor: TwoFactor, code: str, now: float
) -> None:
    """Install `second_factor` if `code` comes from it (flushed, not committed).

    The code counts as used: it cannot log in afterwards. Every session of the journalist ends,
    as with any reset. TwoFactorInvalid, and nothing changes, if the code does not match.
    """
    if second_factor.kind == "hotp":
        counter = otp.hotp_counter(second_factor.secret, code, next_counter=0)
        if counter is None:
            raise TwoFactorInvalid(WRONG_CODE)
        reset_two_factor(session, journalist, second_factor=second_factor)
        journalist.hotp_counter = counter + 1
    else:
        step = otp.totp_step(second_factor.secret, code, now=now, after_step=None)
        if step is None:
            raise TwoFactorInvalid(WRONG_CODE)
        reset_two_factor(session, journalist, second_factor=second_factor)
        journalist.last_totp_step = step
    session.flush()
