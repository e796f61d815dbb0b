"""The login throttle: in memory, per window, forgotten on time, keyed by nothing stable."""

from __future__ import annotations

import time

import pytest

from sealdrop.errors import LoginThrottled
from sealdrop.services.throttle import LoginThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make(clock: Clock, *, per_codename: int = 2, overall: int = 5) -> LoginThrottle:
    return LoginThrottle(window_seconds=60, per_codename=per_codename, overall=overall, clock=clock)


def test_one_codename_is_refused_after_its_limit_within_the_window() -> None:
    clock = Clock()
    throttle = make(clock)
    for _ in range(2):
        throttle.check("a")
        throttle.record_failure("a")
    with pytest.raises(LoginThrottled):
        throttle.check("a")
    throttle.check("b")
    clock.now += 60
    throttle.check("a")


def test_too_many_failures_overall_are_refused() -> None:
    throttle = make(Clock(), overall=3)
    for name in "abc":
        throttle.record_failure(name)
    with pytest.raises(LoginThrottled):
        throttle.record_failure("d")


def test_expired_entries_go_without_a_new_event() -> None:
    clock = Clock()
    throttle = make(clock)
    throttle.record_failure("a")
    clock.now += 61
    throttle.sweep()
    assert len(throttle) == 0


def test_the_sweeper_forgets_on_its_own() -> None:
    throttle = LoginThrottle(window_seconds=0.2, per_codename=2, overall=5)
    throttle.record_failure("a")
    assert len(throttle) == 1
    deadline = time.monotonic() + 5
    while len(throttle) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(throttle) == 0


def test_keys_are_salted_per_process() -> None:
    """The same wrong codename gives unrelated keys in two throttles (two processes)."""
    first, second = make(Clock()), make(Clock())
    assert first._key("a" * 52) != second._key("a" * 52)
