"""Codename derivations: known answers, plain scrypt with the documented salt layout, separation."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from sealdrop.config import KdfCost
from sealdrop.crypto import kdf
from sealdrop.domain.codenames import Codename

VECTORS: list[dict[str, Any]] = json.loads(
    (Path(__file__).parents[3] / "tests" / "vectors" / "kdf.json").read_text(encoding="utf-8")
)["vectors"]
# Written out here, not read from kdf.Purpose, so a changed label fails these tests.
LABELS = {
    "FILESYSTEM_ID": b"sealdrop source id v1",
    "REPLY_KEY": b"sealdrop reply key passphrase v1",
}
ENCODERS = {"FILESYSTEM_ID": kdf.filesystem_id, "REPLY_KEY": kdf.reply_key_passphrase}
CHEAP = KdfCost(n=1024, r=8, p=1)
SALT = bytes(range(16))
CODENAME = Codename("abacus abdomen abdominal abide abiding ability ablaze")
PRODUCTION = next(vector for vector in VECTORS if vector["n"] == KdfCost().n)


def vector_id(vector: dict[str, Any]) -> str:
    return f"{vector['purpose']}-n{vector['n']}-r{vector['r']}-p{vector['p']}"


def test_vectors_cover_both_purposes_and_several_costs() -> None:
    assert {vector["purpose"] for vector in VECTORS} == set(LABELS)
    assert len({(vector["n"], vector["r"], vector["p"]) for vector in VECTORS}) >= 3


@pytest.mark.parametrize("vector", VECTORS, ids=vector_id)
def test_known_answers(vector: dict[str, Any]) -> None:
    cost = KdfCost(n=vector["n"], r=vector["r"], p=vector["p"])
    codename, salt = Codename(vector["codename"]), bytes.fromhex(vector["salt_hex"])

    derived = kdf.derive(codename, purpose=kdf.Purpose[vector["purpose"]], salt=salt, cost=cost)

    assert derived.hex() == vector["derived_hex"]
    assert ENCODERS[vector["purpose"]](codename, salt=salt, cost=cost) == vector["encoded"]


@pytest.mark.parametrize("vector", VECTORS, ids=vector_id)
def test_vectors_are_plain_scrypt_over_label_zero_salt(vector: dict[str, Any]) -> None:
    salt = LABELS[vector["purpose"]] + b"\x00" + bytes.fromhex(vector["salt_hex"])
    expected = hashlib.scrypt(
        vector["codename"].encode("utf-8"),
        salt=salt,
        n=vector["n"],
        r=vector["r"],
        p=vector["p"],
        dklen=32,
        maxmem=1 << 26,
    )

    assert expected.hex() == vector["derived_hex"]


@pytest.mark.parametrize("vector", VECTORS, ids=vector_id)
def test_encodings_are_documented_ones(vector: dict[str, Any]) -> None:
    raw = bytes.fromhex(vector["derived_hex"])
    if vector["purpose"] == "FILESYSTEM_ID":
        expected = base64.b32encode(raw).decode().rstrip("=").lower()
    else:
        expected = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    assert vector["encoded"] == expected


def test_filesystem_id_is_a_safe_path_part() -> None:
    filesystem_id = kdf.filesystem_id(CODENAME, salt=SALT, cost=CHEAP)
    assert re.fullmatch(r"[a-z2-7]{52}", filesystem_id)


def test_reply_passphrase_is_one_line_of_43_characters() -> None:
    passphrase = kdf.reply_key_passphrase(CODENAME, salt=SALT, cost=CHEAP)
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", passphrase)


def test_purposes_differ() -> None:
    as_id = kdf.derive(CODENAME, purpose=kdf.Purpose.FILESYSTEM_ID, salt=SALT, cost=CHEAP)
    as_key = kdf.derive(CODENAME, purpose=kdf.Purpose.REPLY_KEY, salt=SALT, cost=CHEAP)
    assert as_id != as_key


def test_salts_differ() -> None:
    one = kdf.filesystem_id(CODENAME, salt=SALT, cost=CHEAP)
    other = kdf.filesystem_id(CODENAME, salt=SALT[:-1] + b"\xff", cost=CHEAP)
    assert one != other


def test_codenames_differ() -> None:
    other = Codename(CODENAME.replace("ablaze", "able"))
    assert kdf.filesystem_id(CODENAME, salt=SALT, cost=CHEAP) != kdf.filesystem_id(
        other, salt=SALT, cost=CHEAP
    )


def test_cost_changes_the_answer() -> None:
    assert kdf.filesystem_id(CODENAME, salt=SALT, cost=CHEAP) != kdf.filesystem_id(
        CODENAME, salt=SALT, cost=KdfCost(n=2048, r=8, p=1)
    )


@pytest.mark.parametrize("length", [0, 1, 15])
def test_short_salt_is_refused(length: int) -> None:
    with pytest.raises(ValueError, match="at least 16 bytes"):
        kdf.derive(CODENAME, purpose=kdf.Purpose.FILESYSTEM_ID, salt=bytes(length), cost=CHEAP)


def test_bad_cost_is_refused() -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - hashlib's own message varies by version
        kdf.derive(CODENAME, purpose=kdf.Purpose.FILESYSTEM_ID, salt=SALT, cost=KdfCost(n=1000))


def derive_vector(vector: dict[str, Any]) -> str:
    return kdf.derive(
        Codename(vector["codename"]),
        purpose=kdf.Purpose[vector["purpose"]],
        salt=bytes.fromhex(vector["salt_hex"]),
        cost=KdfCost(n=vector["n"], r=vector["r"], p=vector["p"]),
    ).hex()


@contextlib.contextmanager
def every_free_slot() -> Iterator[int]:
    """Take every derivation slot free right now, as concurrent logins would; yields how many."""
    held = 0
    try:
        while kdf._slots.acquire(blocking=False):
            held += 1
        yield held
    finally:
        for _ in range(held):
            kdf._slots.release()


def test_parallel_derivations_at_production_cost_give_the_known_answers() -> None:
    workers = 3 * kdf.CONCURRENT_DERIVATIONS
    start = threading.Barrier(workers)

    def login(_: int) -> str:
        start.wait(timeout=30)  # all at once, so most of them queue for a slot
        return derive_vector(PRODUCTION)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        answers = list(pool.map(login, range(workers)))

    assert answers == [PRODUCTION["derived_hex"]] * workers
    with every_free_slot() as free:
        assert free == kdf.CONCURRENT_DERIVATIONS  # every slot came back


def test_a_derivation_waits_while_every_slot_is_taken() -> None:
    vector = VECTORS[0]  # the cheapest cost: unthrottled, it would be done in a millisecond
    answers: list[str] = []
    worker = threading.Thread(target=lambda: answers.append(derive_vector(vector)), daemon=True)
    with every_free_slot() as held:
        assert held == kdf.CONCURRENT_DERIVATIONS == 2
        worker.start()
        worker.join(timeout=0.5)
        assert worker.is_alive()
        assert answers == []
    worker.join(timeout=30)
    assert answers == [vector["derived_hex"]]


def test_a_failed_derivation_gives_its_slot_back() -> None:
    for _ in range(kdf.CONCURRENT_DERIVATIONS + 1):
        with pytest.raises(ValueError):  # noqa: PT011 - hashlib's own message varies by version
            kdf.derive(CODENAME, purpose=kdf.Purpose.FILESYSTEM_ID, salt=SALT, cost=KdfCost(n=1000))
    with every_free_slot() as free:
        assert free == kdf.CONCURRENT_DERIVATIONS
