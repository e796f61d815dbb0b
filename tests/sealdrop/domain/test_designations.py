"""Journalist designations: the shipped word lists and the names they make in the store."""

from __future__ import annotations

import random

import pytest

from sealdrop.domain import designations
from sealdrop.domain.items import Kind
from sealdrop.storage.names import STORED_NAME_PATTERN, stored_name


@pytest.mark.parametrize(
    "words", [designations.adjectives(), designations.nouns()], ids=["adjectives", "nouns"]
)
def test_lists_load_with_enough_single_words(words: tuple[str, ...]) -> None:
    assert len(words) >= 400
    assert all(word == word.strip() and " " not in word for word in words)
    assert len(set(words)) > 0.95 * len(words)


def test_as_many_designations_as_securedrop() -> None:
    """SecureDrop offers about 146 million; fewer would run out under a flood of sources."""
    assert designations.combinations() >= 146_000_000
    assert len(set(designations.adjectives())) == len(designations.adjectives())
    assert len(set(designations.nouns())) == len(designations.nouns())


def test_the_randomness_is_a_parameter() -> None:
    # Seeded, not secret: only to show the draw uses the generator it is given.
    seeded = random.Random
    first = [designations.draw(seeded(7)) for _ in range(3)]
    assert first == [designations.draw(seeded(7)) for _ in range(3)]
    assert len({designations.draw(seeded(seed)) for seed in range(50)}) > 45


def test_draws_match_the_pattern() -> None:
    drawn = [designations.draw() for _ in range(1000)]
    assert all(designations.DESIGNATION_PATTERN.fullmatch(d) for d in drawn)
    assert len(set(drawn)) > 900


def test_every_word_makes_a_valid_stored_name() -> None:
    """A word the store's name pattern refuses would make that source's files unstorable."""
    first_noun, first_adjective = designations.nouns()[0], designations.adjectives()[0]
    every = [f"{adjective} {first_noun}" for adjective in designations.adjectives()] + [
        f"{first_adjective} {noun}" for noun in designations.nouns()
    ]
    for designation in every:
        assert designations.DESIGNATION_PATTERN.fullmatch(designation), designation
        for kind in Kind:
            assert STORED_NAME_PATTERN.fullmatch(stored_name(7, designation, kind)), designation


def test_as_filename_part() -> None:
    assert designations.as_filename_part("amber heron") == "amber-heron"


@pytest.mark.parametrize(
    ("kind", "suffix"),
    [(Kind.MESSAGE, "msg.gpg"), (Kind.FILE, "doc.gz.gpg"), (Kind.REPLY, "reply.gpg")],
)
def test_stored_names(kind: Kind, suffix: str) -> None:
    assert stored_name(12, "amber heron", kind) == f"12-amber-heron-{suffix}"


def test_interactions_count_from_one() -> None:
    with pytest.raises(ValueError, match="start at 1"):
        stored_name(0, "amber heron", Kind.MESSAGE)
