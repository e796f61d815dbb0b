"""The suggested journalist passphrase and the minimum a chosen one must meet."""

from __future__ import annotations

import random

import pytest

from sealdrop.domain import passphrases
from sealdrop.domain.codenames import wordlist
from sealdrop.errors import PassphraseTooWeak


def test_the_suggestion_is_seven_list_words_and_passes_the_minimum() -> None:
    suggestion = passphrases.suggest(rng=random.Random(7))
    words = suggestion.split(" ")
    assert len(words) == 7 and set(words) <= set(wordlist())
    passphrases.require_strong(suggestion, username="dana")
    assert passphrases.suggest(rng=random.Random(7)) == suggestion
    assert passphrases.suggest() != passphrases.suggest()


@pytest.mark.parametrize(
    ("passphrase", "says"),
    [
        ("short one", "at least 14"),
        ("x" * 129, "at most 128"),
        ("abababababababab", "too few"),
        ("my name is dana, hello world", "username"),
    ],
)
def test_weak_passphrases_are_refused_with_a_reason(passphrase: str, says: str) -> None:
    with pytest.raises(PassphraseTooWeak, match=says):
        passphrases.require_strong(passphrase, username="dana")
