"""The worker's upload slots: a fixed number of uploads at once, and who gives way when full."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from sealdrop.serving.limits import RateMeter

# How long a newcomer waits for the slot an evicted upload frees (its thread must first see the
# cut and wipe what it staged, which takes milliseconds).
EVICTION_WAIT_SECONDS = 2.0


def _never() -> bool:
    return False


@dataclass(eq=False)
class Upload:
    meter: RateMeter
    cut: Callable[[], None]
    # True once the whole body arrived: its meter no longer moves while the app stores it, and
    # cutting it then would abort a submission that is being stored.
    ended: Callable[[], bool] = _never


class UploadSlots:
    """Without contention an upload is judged over the whole rate window. When every slot is
    taken, an upload already below the minimum rate over a shorter window, and whose body has not
    ended, gives its slot to the newcomer: it would be cut anyway, and honest sources must not
    wait for that. A slot is asked for only once the app reads the body (`connection.py`)."""

    def __init__(self, size: int, contended_window: float) -> None:
        self._size = size
        self._window = contended_window
        self._active: set[Upload] = set()

    def __len__(self) -> int:
        return len(self._active)

    def _victims(self) -> list[Upload]:
        return [
            other
            for other in self._active
            if not other.ended() and other.meter.too_slow(self._window)
        ]

    def hopeless(self) -> bool:
        """True while every slot is taken and none would give way: a newcomer can be refused
        before the app runs, without harming anyone."""
        return len(self._active) >= self._size and not self._victims()

    async def take(self, upload: Upload) -> bool:
        """A slot for `upload`, perhaps by evicting the slowest; False when none can be had."""
        if len(self._active) >= self._size:
            victims = self._victims()
            if not victims:
                return False
            min(victims, key=lambda other: other.meter.rate()).cut()
            loop = asyncio.get_running_loop()
            deadline = loop.time() + EVICTION_WAIT_SECONDS
            while len(self._active) >= self._size:
                if loop.time() > deadline:
                    return False
                await asyncio.sleep(0.02)
        self._active.add(upload)
        return True

    def release(self, upload: Upload) -> None:
        self._active.discard(upload)
