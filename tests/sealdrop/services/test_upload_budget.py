"""UploadBudget counts every file byte of a request and asks for free space as they stream."""

from __future__ import annotations

import pytest

from sealdrop.errors import UploadTooLarge
from sealdrop.services.uploads import SPACE_CHECK_BYTES, UploadBudget


def test_budget_checks_free_space_again_while_streaming() -> None:
    calls: list[int] = []
    budget = UploadBudget(10 * SPACE_CHECK_BYTES, check_space=lambda: calls.append(budget.used))
    for _ in range(10 * 16):
        budget.take(SPACE_CHECK_BYTES // 16)
    assert calls == [n * SPACE_CHECK_BYTES for n in range(1, 11)]


def test_budget_refuses_the_byte_past_its_limit() -> None:
    budget = UploadBudget(100)
    budget.take(100)
    with pytest.raises(UploadTooLarge):
        budget.take(1)
