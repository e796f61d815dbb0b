"""Two-factor codes (TOTP, or HOTP for hardware tokens): the only module that imports pyotp."""

from __future__ import annotations

import base64
import binascii
import hmac
import re

import pyotp

TOTP_PERIOD_SECONDS = 30
# A code from the previous or next period still counts: phones' clocks drift.
TOTP_DRIFT_STEPS = 1
# A hardware token pressed a few times without logging in is still in step.
HOTP_LOOK_AHEAD = 20
CODE_DIGITS = 6


def new_secret() -> str:
    """A fresh base32 secret of 160 bits, as authenticator apps and tokens expect."""
    return pyotp.random_base32(length=32)


def normalise_secret(typed: str) -> str | None:
    """A token's secret as base32, from base32 or from the 40 hex digits YubiKey tools print;
    None unless it holds at least 112 bits (pyotp refuses shorter ones)."""
    cleaned = typed.replace(" ", "").strip()
    if re.fullmatch(r"[0-9a-fA-F]{40}", cleaned):
        cleaned = base64.b32encode(bytes.fromhex(cleaned)).decode()
    cleaned = cleaned.upper()
    try:
        pyotp.TOTP(cleaned).byte_secret()
    except (ValueError, binascii.Error):
        return None
    return cleaned


def provisioning_uri(secret: str, *, account: str, issuer: str) -> str:
    """The otpauth:// URI an authenticator app reads from the enrolment QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=issuer)


def _normalised(code: str) -> str | None:
    digits = code.replace(" ", "").strip()
    return digits if len(digits) == CODE_DIGITS and digits.isdigit() else None


def totp_step(secret: str, code: str, *, now: float, after_step: int | None) -> int | None:
    """The time step `code` is valid for, if it is valid now and later than `after_step`.

    Refusing every step up to the last one accepted is what makes a code single-use.
    """
    typed = _normalised(code)
    if typed is None:
        return None
    totp = pyotp.TOTP(secret)
    current = int(now) // TOTP_PERIOD_SECONDS
    for step in range(current - TOTP_DRIFT_STEPS, current + TOTP_DRIFT_STEPS + 1):
        if after_step is not None and step <= after_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step), typed):
            return step
    return None


def hotp_counter(secret: str, code: str, *, next_counter: int) -> int | None:
    """The counter `code` was made with, searched from `next_counter` a little way ahead."""
    typed = _normalised(code)
    if typed is None:
        return None
    hotp = pyotp.HOTP(secret)
    for counter in range(next_counter, next_counter + HOTP_LOOK_AHEAD):
        if hmac.compare_digest(hotp.at(counter), typed):
            return counter
    return None
