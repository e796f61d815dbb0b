"""Codenames: seven words from the EFF list, and strict normalisation of what a source types."""

from __future__ import annotations

import hashlib
import random
import re
from importlib import resources

import pytest

from sealdrop.domain import codenames
from sealdrop.errors import CodenameMalformed

WORDS = codenames.wordlist()
SEVEN = WORDS[10:17]
CANONICAL = " ".join(SEVEN)


def test_wordlist_is_the_eff_large_list() -> None:
    assert len(WORDS) == 7776
    assert len(set(WORDS)) == 7776
    # Words are split on white space when typed, so none may contain any.
    assert all(re.fullmatch(r"[a-z]+(-[a-z]+)?", word) for word in WORDS)


def test_the_shipped_list_is_unchanged() -> None:
    """Another list would give every source a codename from other words: a change is noticed."""
    data = resources.files("sealdrop").joinpath("data/eff_large_wordlist.txt").read_bytes()
    assert hashlib.sha256(data).hexdigest() == (
        "6d557f0693958fb5e650b68b5bee585eb82cf4da32965505c789e924743bc522"
    )
    assert (WORDS[0], WORDS[-1]) == ("abacus", "zoom")


def test_generate_takes_its_randomness_as_a_parameter() -> None:
    first = codenames.generate(rng=random.Random(7))
    assert first == codenames.generate(rng=random.Random(7))
    assert first != codenames.generate(rng=random.Random(8))
    assert codenames.normalise(first) == first


def test_generate_gives_seven_listed_words() -> None:
    for _ in range(50):
        words = codenames.generate().split(" ")
        assert len(words) == 7
        assert set(words) <= set(WORDS)


def test_generate_is_unique_over_many_draws() -> None:
    drawn = [codenames.generate() for _ in range(500)]
    assert len(set(drawn)) == len(drawn)
    # All draws from a tiny fraction of the list would mean a broken random source.
    assert len({word for codename in drawn for word in codename.split()}) > 2000


def test_generated_codename_normalises_to_itself() -> None:
    codename = codenames.generate()
    assert codenames.normalise(codename) == codename


@pytest.mark.parametrize(
    "typed",
    [
        CANONICAL,
        "  " + CANONICAL + "  \n",
        CANONICAL.upper(),
        "\t".join(SEVEN),
        "   ".join(word.capitalize() for word in SEVEN),
    ],
)
def test_normalise_trims_collapses_and_lowercases(typed: str) -> None:
    assert codenames.normalise(typed) == CANONICAL


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        " ".join(SEVEN[:6]),
        " ".join((*SEVEN, WORDS[0])),
        " ".join((*SEVEN[:6], "zzzzqx")),
        " ".join((*SEVEN[:6], SEVEN[6] + "s")),
        " ".join((*SEVEN[:6], "caf\u00e9")),
        " ".join((*SEVEN[:6], SEVEN[6].replace("a", "\u0430"))),  # Cyrillic a, a look-alike
        " ".join((*SEVEN[:6], "\uff41" * 5)),  # full-width letters
        "-".join(SEVEN),
        ",".join(SEVEN),
        " ".join((*SEVEN[:6], SEVEN[6] + "\x00")),
        " ".join((*SEVEN[:6], "\x07" + SEVEN[6])),
        " ".join((*SEVEN[:6], SEVEN[6][:2] + "\u200b" + SEVEN[6][2:])),  # zero-width space
        CANONICAL + " " * 200,
        " ".join(WORDS[:7]) * 30,
        "x" * 100_000,
    ],
)
def test_malformed_input_is_refused(typed: str) -> None:
    with pytest.raises(CodenameMalformed):
        codenames.normalise(typed)


def test_seven_of_the_same_word_is_still_a_codename() -> None:
    assert codenames.normalise(" ".join([SEVEN[0]] * 7)) == " ".join([SEVEN[0]] * 7)
