"""Route limits, the upload rate meter and the body pipe, without a server."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest

from sealdrop.config import FORM_OVERHEAD_BYTES, Config, load_config
from sealdrop.errors import ConfigError
from sealdrop.serving import APPS
from sealdrop.serving.body import BodyPipe, UploadCut, UploadsBusy
from sealdrop.serving.limits import Limits, RateMeter
from sealdrop.serving.slots import Upload, UploadSlots

T = TypeVar("T")


def run_apart(scenario: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """asyncio.run in a thread of its own: another test's event loop may be running in this one."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(scenario())).result(timeout=30)


def limits(**settings: str) -> Limits:
    config = load_config({"SEALDROP_DATA_DIR": "/nonexistent", **settings})
    return Limits.for_app(config, APPS["source"])


def test_only_the_upload_route_gets_the_large_limit() -> None:
    chosen = limits(
        SEALDROP_MAX_UPLOAD_BYTES="1000",
        SEALDROP_MAX_MESSAGE_BYTES="10",
        SEALDROP_SOURCE_MAX_FORM_BYTES="500",
    )
    upload = chosen.route("POST", "/submit")
    assert upload.upload and upload.body_limit == 1010 + FORM_OVERHEAD_BYTES
    for method, path in [
        ("GET", "/submit"),
        ("POST", "/login"),
        ("POST", "/submit/"),
        ("POST", "/SUBMIT"),
        ("PUT", "/submit"),
    ]:
        route = chosen.route(method, path)
        assert not route.upload and route.body_limit == 500, (method, path)


def test_threads_must_outnumber_upload_slots() -> None:
    with pytest.raises(ConfigError, match="SEALDROP_SOURCE_THREADS"):
        load_config(
            {
                "SEALDROP_DATA_DIR": "/x",
                "SEALDROP_SOURCE_THREADS": "4",
                "SEALDROP_SOURCE_UPLOADS_PER_WORKER": "4",
            }
        )
    defaults = Config(data_dir=Path("/x"), database_url="sqlite://")
    assert defaults.source.serving.threads > defaults.source.serving.uploads_per_worker


def test_rate_meter_judges_only_a_whole_window_of_waiting() -> None:
    meter = RateMeter(min_bytes_per_second=1000, window=10)
    meter.record(waited=9.0, received=10)
    assert not meter.too_slow(), "not a whole window yet"
    meter.record(waited=2.0, received=10)
    assert meter.too_slow()


def test_rate_meter_forgets_old_samples_and_ignores_time_not_spent_waiting() -> None:
    meter = RateMeter(min_bytes_per_second=1000, window=10)
    meter.record(waited=10.0, received=100)  # a slow start...
    for _ in range(20):
        meter.record(waited=1.0, received=5000)  # ...then fast: the slow start is forgotten
    assert not meter.too_slow()
    fast = RateMeter(min_bytes_per_second=1000, window=10)
    for _ in range(100):
        fast.record(waited=0.0, received=65536)  # data was already there: no waiting at all
    assert not fast.too_slow()


def test_body_pipe_hands_chunks_to_a_thread_and_holds_the_loop_back_when_full() -> None:
    async def scenario() -> tuple[bytes, bool]:
        pipe = BodyPipe(asyncio.get_running_loop(), capacity=10)
        got: list[bytes] = []
        await pipe.put(b"0123456789")
        assert not pipe.has_room()
        blocked = asyncio.create_task(pipe.put(b"abc"))
        await asyncio.sleep(0.05)
        was_blocked = not blocked.done()
        reader = threading.Thread(target=lambda: got.extend(iter(lambda: pipe.read(4), b"")))
        reader.start()
        await blocked
        pipe.finish()
        await asyncio.to_thread(reader.join)
        return b"".join(got), was_blocked

    data, was_blocked = run_apart(scenario)
    assert data == b"0123456789abc" and was_blocked


def test_a_cut_pipe_fails_the_read_instead_of_ending_it() -> None:
    async def scenario() -> BaseException | None:
        pipe = BodyPipe(asyncio.get_running_loop())
        await pipe.put(b"partial")
        pipe.cut()
        try:
            await asyncio.to_thread(pipe.read, 100)
        except UploadCut as exc:
            return exc
        return None

    assert isinstance(run_apart(scenario), UploadCut)


def test_a_full_house_evicts_only_an_upload_already_too_slow() -> None:
    async def scenario() -> tuple[bool, bool, list[str]]:
        slots = UploadSlots(2, contended_window=2)
        cut: list[str] = []
        fast, slow = RateMeter(1000, 10), RateMeter(1000, 10)
        fast.record(3.0, 30_000)
        slow.record(3.0, 300)
        uploads = {
            name: Upload(meter, cut=lambda name=name: cut.append(name))  # type: ignore[misc]
            for name, meter in [("fast", fast), ("slow", slow)]
        }
        for upload in uploads.values():
            assert await slots.take(upload)
        steady = Upload(RateMeter(1000, 10), cut=lambda: cut.append("newcomer"))
        asyncio.get_running_loop().call_later(0.1, slots.release, uploads["slow"])
        first = await slots.take(steady)  # evicts "slow", whose thread then frees its slot
        second = await slots.take(Upload(RateMeter(1000, 10), cut=lambda: None))
        return first, second, cut

    first, second, cut = run_apart(scenario)
    assert first and not second
    assert cut == ["slow"], "only the upload below the minimum rate gave way"


def test_an_upload_whose_body_has_ended_is_never_evicted() -> None:
    async def scenario() -> tuple[bool, list[str]]:
        slots = UploadSlots(1, contended_window=2)
        cut: list[str] = []
        frozen = RateMeter(1000, 10)
        frozen.record(3.0, 300)  # its last seconds looked slow; then the body ended
        assert await slots.take(Upload(frozen, cut=lambda: cut.append("ended"), ended=lambda: True))
        newcomer = await slots.take(Upload(RateMeter(1000, 10), cut=lambda: None))
        return newcomer, cut

    newcomer, cut = run_apart(scenario)
    assert not newcomer and cut == [], "the app is storing it: it keeps its slot"


def test_the_body_starts_at_the_first_read_or_the_read_says_busy() -> None:
    async def scenario(free: bool) -> tuple[list[str], BaseException | bytes]:
        calls: list[str] = []

        async def start() -> bool:
            calls.append("start")
            if free:
                pipe.finish()
            return free

        pipe = BodyPipe(asyncio.get_running_loop(), start=start)
        await asyncio.sleep(0.05)
        assert calls == [], "nothing is asked for before the app reads"
        try:
            return calls, await asyncio.to_thread(pipe.read, 100)
        except UploadsBusy as exc:
            return calls, exc

    calls, outcome = run_apart(lambda: scenario(free=False))
    assert calls == ["start"] and isinstance(outcome, UploadsBusy)
    calls, outcome = run_apart(lambda: scenario(free=True))
    assert calls == ["start"] and outcome == b""
