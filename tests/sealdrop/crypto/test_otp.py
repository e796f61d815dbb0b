"""Two-factor codes: valid now and once only, a little clock drift allowed, HOTP look-ahead."""

from __future__ import annotations

import pyotp
import pytest

from sealdrop.crypto import otp

NOW = 1_800_000_000.0
SECRET = otp.new_secret()


def code_at(moment: float) -> str:
    return pyotp.TOTP(SECRET).at(moment)


def test_a_current_code_gives_its_step() -> None:
    assert otp.totp_step(SECRET, code_at(NOW), now=NOW, after_step=None) == int(NOW) // 30


@pytest.mark.parametrize("offset", [-30, 30])
def test_the_neighbouring_periods_count(offset: int) -> None:
    step = otp.totp_step(SECRET, code_at(NOW + offset), now=NOW, after_step=None)
    assert step == (int(NOW) + offset) // 30


@pytest.mark.parametrize("offset", [-90, 90])
def test_codes_further_away_are_refused(offset: int) -> None:
    assert otp.totp_step(SECRET, code_at(NOW + offset), now=NOW, after_step=None) is None


def test_a_used_code_or_an_older_one_never_works_again() -> None:
    used = otp.totp_step(SECRET, code_at(NOW), now=NOW, after_step=None)
    assert used is not None
    assert otp.totp_step(SECRET, code_at(NOW), now=NOW, after_step=used) is None
    assert otp.totp_step(SECRET, code_at(NOW - 30), now=NOW, after_step=used) is None
    assert otp.totp_step(SECRET, code_at(NOW + 30), now=NOW + 30, after_step=used) == used + 1


@pytest.mark.parametrize("typed", ["", "12345", "1234567", "abcdef", "12 34 5x"])
def test_malformed_codes_are_refused(typed: str) -> None:
    assert otp.totp_step(SECRET, typed, now=NOW, after_step=None) is None


def test_spaces_in_a_typed_code_are_ignored() -> None:
    code = code_at(NOW)
    assert otp.totp_step(SECRET, f"{code[:3]} {code[3:]}", now=NOW, after_step=None) is not None


def test_hotp_finds_a_counter_a_few_presses_ahead_and_not_behind() -> None:
    hotp = pyotp.HOTP(SECRET)
    assert otp.hotp_counter(SECRET, hotp.at(7), next_counter=5) == 7
    assert otp.hotp_counter(SECRET, hotp.at(4), next_counter=5) is None
    assert otp.hotp_counter(SECRET, hotp.at(5 + otp.HOTP_LOOK_AHEAD), next_counter=5) is None


def test_secrets_are_normalised_to_base32_or_refused() -> None:
    assert otp.normalise_secret(SECRET) == SECRET
    spaced = " ".join(SECRET[i : i + 4].lower() for i in range(0, len(SECRET), 4))
    assert otp.normalise_secret(spaced) == SECRET  # as tokens print it
    hex_secret = "3132333435363738393031323334353637383930"  # RFC 4226's test secret
    assert otp.normalise_secret(hex_secret) == "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
    assert otp.normalise_secret("JBSWY3DPEHPK3PXP") is None  # 80 bits: pyotp wants 112
    assert otp.normalise_secret("not base32 at all!") is None


def test_the_provisioning_uri_names_the_account_and_issuer() -> None:
    uri = otp.provisioning_uri(SECRET, account="dana", issuer="Daily Planet")
    assert uri.startswith("otpauth://totp/Daily%20Planet:dana?")
    assert f"secret={SECRET}" in uri


def test_hotp_matches_the_known_answers_of_rfc_4226() -> None:
    rfc_secret = otp.normalise_secret("3132333435363738393031323334353637383930")
    assert rfc_secret is not None
    assert otp.hotp_counter(rfc_secret, "755224", next_counter=0) == 0
    assert otp.hotp_counter(rfc_secret, "287082", next_counter=0) == 1
