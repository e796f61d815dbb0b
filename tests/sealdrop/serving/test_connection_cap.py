"""At the connection cap, who gives way to a newcomer: without a server."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import cast

from sealdrop.config import load_config
from sealdrop.serving import APPS
from sealdrop.serving.limits import Limits
from sealdrop.serving.shared import Shared
from sealdrop.serving.slots import UploadSlots


class FakeTransport:
    def __init__(self) -> None:
        self.aborted = False

    def abort(self) -> None:
        self.aborted = True


class FakeWriter:
    def __init__(self) -> None:
        self.transport = FakeTransport()


def writer() -> tuple[FakeWriter, asyncio.StreamWriter]:
    fake = FakeWriter()
    return fake, cast(asyncio.StreamWriter, fake)


def shared() -> Shared:
    pool = ThreadPoolExecutor(1)
    limits = Limits.for_app(load_config({"SEALDROP_DATA_DIR": "/nonexistent"}), APPS["source"])
    return Shared(
        app=lambda _environ, _start: [],
        limits=limits,
        executor=pool,
        refusal_executor=pool,
        slots=UploadSlots(1, 1.0),
    )


def test_an_idle_connection_gives_way_before_a_head_in_progress() -> None:
    state = shared()
    head_fake, head = writer()
    idle_fake, idle = writer()
    state.heads[head] = None
    state.idle.add(idle)
    assert state.make_room()
    assert idle_fake.transport.aborted and not head_fake.transport.aborted
    assert idle not in state.idle


def test_then_the_head_sent_for_the_longest() -> None:
    state = shared()
    fakes = []
    for _ in range(3):
        fake, real = writer()
        fakes.append(fake)
        state.heads[real] = None
    assert state.make_room()
    assert [fake.transport.aborted for fake in fakes] == [True, False, False]
    assert state.make_room()
    assert [fake.transport.aborted for fake in fakes] == [True, True, False]


def test_nobody_gives_way_while_every_connection_is_busy_with_a_request() -> None:
    assert not shared().make_room()
