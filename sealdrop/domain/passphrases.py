"""Journalist passphrases: the diceware suggestion and the minimum a chosen one must meet."""

from __future__ import annotations

import random
import secrets

from sealdrop.domain.codenames import wordlist
from sealdrop.errors import PassphraseTooWeak

SUGGESTED_WORDS = 7  # about 90 bits from the EFF large list, like a codename
MIN_CHARS = 14
MAX_CHARS = 128
MIN_DISTINCT_CHARS = 8

_SYSTEM_RANDOM = secrets.SystemRandom()


def suggest(*, rng: random.Random = _SYSTEM_RANDOM) -> str:
    """Seven random words; `rng` is the system's CSPRNG unless a test passes a seeded one."""
    words = wordlist()
    return " ".join(rng.choice(words) for _ in range(SUGGESTED_WORDS))


def require_strong(passphrase: str, *, username: str) -> None:
    """PassphraseTooWeak, saying what to change, unless `passphrase` meets the minimum."""
    if len(passphrase) < MIN_CHARS:
        raise PassphraseTooWeak(
            f"A passphrase has at least {MIN_CHARS} characters; the suggested one has seven words."
        )
    if len(passphrase) > MAX_CHARS:
        raise PassphraseTooWeak(f"A passphrase has at most {MAX_CHARS} characters.")
    if len(set(passphrase)) < MIN_DISTINCT_CHARS:
        raise PassphraseTooWeak("That passphrase repeats too few characters to be strong.")
    if username and username.lower() in passphrase.lower():
        raise PassphraseTooWeak("A passphrase must not contain the username.")
