"""Journalist passphrase hashes: Argon2id, verified in constant work, re-hashed on a new cost."""

from __future__ import annotations

from sealdrop.crypto.passwords import (
    MAX_PASSPHRASE_CHARS,
    Argon2Cost,
    hash_passphrase,
    needs_rehash,
    verify_passphrase,
)

CHEAP = Argon2Cost(time_cost=1, memory_kib=64, parallelism=1)
PASSPHRASE = "correct horse battery staple glue"


def test_the_hash_is_argon2id_and_salted() -> None:
    one, two = hash_passphrase(PASSPHRASE, cost=CHEAP), hash_passphrase(PASSPHRASE, cost=CHEAP)
    assert one.startswith("$argon2id$") and one != two
    assert PASSPHRASE not in one


def test_only_the_right_passphrase_verifies() -> None:
    stored = hash_passphrase(PASSPHRASE, cost=CHEAP)
    assert verify_passphrase(stored, PASSPHRASE, cost=CHEAP)
    assert not verify_passphrase(stored, PASSPHRASE.upper(), cost=CHEAP)
    assert not verify_passphrase(stored, "", cost=CHEAP)


def test_an_over_long_passphrase_is_refused_without_hashing_it() -> None:
    stored = hash_passphrase(PASSPHRASE, cost=CHEAP)
    assert not verify_passphrase(stored, "x" * (MAX_PASSPHRASE_CHARS + 1), cost=CHEAP)


def test_a_damaged_hash_verifies_nothing() -> None:
    assert not verify_passphrase("$argon2id$garbage", PASSPHRASE, cost=CHEAP)
    assert needs_rehash("$argon2id$garbage", cost=CHEAP)


def test_a_hash_of_another_cost_needs_rehashing() -> None:
    stored = hash_passphrase(PASSPHRASE, cost=CHEAP)
    assert not needs_rehash(stored, cost=CHEAP)
    assert needs_rehash(stored, cost=Argon2Cost(time_cost=2, memory_kib=64, parallelism=1))
