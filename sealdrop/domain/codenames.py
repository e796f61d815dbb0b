"""Diceware codenames: seven words from the EFF large word list; normalising what sources type."""

from __future__ import annotations

import random
import secrets
from functools import cache
from importlib import resources
from typing import NewType

from sealdrop.errors import CodenameMalformed

Codename = NewType("Codename", str)

WORDS_PER_CODENAME = 7
EFF_LARGE_LIST_SIZE = 7776
# Longest EFF word is 9 letters: anything much longer than 7 of them is not a codename.
MAX_TYPED_LENGTH = 200


_SYSTEM_RANDOM = secrets.SystemRandom()


@cache
def wordlist() -> tuple[str, ...]:
    """The EFF large word list (EFF, CC BY 3.0 US), shipped in sealdrop/data with its notice."""
    text = (
        resources.files("sealdrop")
        .joinpath("data/eff_large_wordlist.txt")
        .read_text(encoding="utf-8")
    )
    words = tuple(line.strip() for line in text.splitlines() if line.strip())
    if len(words) != EFF_LARGE_LIST_SIZE or len(set(words)) != EFF_LARGE_LIST_SIZE:
        raise RuntimeError(f"the EFF word list has {len(words)} words, expected 7776")
    return words


@cache
def _wordset() -> frozenset[str]:
    return frozenset(wordlist())


def generate(words: int = WORDS_PER_CODENAME, *, rng: random.Random = _SYSTEM_RANDOM) -> Codename:
    """A new random codename; about 12.9 bits a word, so about 90 bits for seven words.

    `rng` is the operating system's CSPRNG; tests pass a seeded one to get a known codename.
    """
    choices = wordlist()
    return Codename(" ".join(rng.choice(choices) for _ in range(words)))


def normalise(typed: str) -> Codename:
    """Trim, collapse white space and lowercase what was typed, then check it is a codename."""
    if len(typed) > MAX_TYPED_LENGTH:
        raise CodenameMalformed("That is too long to be a codename: it has seven short words.")
    words = typed.lower().split()
    if len(words) != WORDS_PER_CODENAME:
        raise CodenameMalformed("A codename has exactly seven words, separated by spaces.")
    if not all(word in _wordset() for word in words):
        raise CodenameMalformed(
            "One of the words is not in the codename word list: check spelling."
        )
    return Codename(" ".join(words))
