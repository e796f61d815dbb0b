"""What the connections of one worker share, and who gives way when they are too many."""

from __future__ import annotations

import asyncio
from concurrent.futures import Executor
from dataclasses import dataclass, field

from sealdrop.serving.bridge import WsgiApp
from sealdrop.serving.limits import Limits
from sealdrop.serving.slots import UploadSlots


@dataclass
class Shared:
    """What the connections of one worker share: the app, the limits, the counts."""

    app: WsgiApp
    limits: Limits
    executor: Executor
    # Refusals are rendered by the app too, but in threads of their own: a flood of refused
    # uploads must not queue ahead of the pages everyone else is asking for.
    refusal_executor: Executor
    slots: UploadSlots
    connections: int = 0
    closing: bool = False
    idle: set[asyncio.StreamWriter] = field(default_factory=set)
    # Connections whose request head has begun but not arrived whole, oldest first (a dict keeps
    # the order): at the cap, the one that has been sending its head the longest gives way.
    heads: dict[asyncio.StreamWriter, None] = field(default_factory=dict)

    def make_room(self) -> bool:
        """Close an idle keep-alive connection, else the one sending its head the longest;
        False when every connection is busy with a request. Without this, a few thousand
        half-sent heads would lock everyone out until the header deadline, and then again."""
        victim = next(iter(self.idle), None) or next(iter(self.heads), None)
        if victim is None:
            return False
        # Forgotten at once, so the next newcomer picks another; the count drops when its task
        # ends.
        self.idle.discard(victim)
        self.heads.pop(victim, None)
        victim.transport.abort()
        return True
