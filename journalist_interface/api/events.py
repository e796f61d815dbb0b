"""v2 events: what a client did offline, applied once each, only to the record version it saw."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from flask import g

from journalist_interface.context import actor
from sealdrop.db.models import Reply, Source, Submission
from sealdrop.errors import Conflict, RequestInvalid, SealdropError
from sealdrop.services import api_events, client_replies, conversations, items
from sealdrop.services.api_events import Outcome

STALE = "The record changed since you last saw it; fetch it again and decide anew."
OK = Outcome(HTTPStatus.OK)


@dataclass(frozen=True)
class Event:
    id: str
    type: str
    target: dict[str, Any]
    data: dict[str, Any]


def parse(raw: object) -> Event:
    """An event's shape; its id must be readable, or no result could be reported for it."""
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
        raise RequestInvalid("Each event must be an object with a string `id`.")
    event_id = raw["id"]
    if not event_id or len(event_id) > api_events.MAX_ID_CHARS:
        raise RequestInvalid(f"An event id has 1 to {api_events.MAX_ID_CHARS} characters.")
    kind, target, data = raw.get("type"), raw.get("target"), raw.get("data", {})
    return Event(
        id=event_id,
        type=kind if isinstance(kind, str) else "",
        target=target if isinstance(target, dict) else {},
        data=data if isinstance(data, dict) else {},
    )


def _current(record: Source | Submission | Reply, event: Event) -> None:
    seen = event.target.get("version")
    if not isinstance(seen, str):
        raise RequestInvalid("The event's target has no `version`.")
    if seen != record.version:
        raise Conflict(STALE)


def _source(event: Event) -> Source:
    source_uuid = event.target.get("source_uuid")
    if not isinstance(source_uuid, str):
        raise RequestInvalid("This event's target needs a `source_uuid`.")
    found = conversations.source_by_uuid(g.db, source_uuid)
    _current(found, event)
    return found


def _upper_bound(event: Event) -> int:
    bound = event.data.get("upper_bound")
    if not isinstance(bound, int) or isinstance(bound, bool):
        raise RequestInvalid("This event needs `data.upper_bound`, an interaction count.")
    return bound


def _reply_sent(event: Event) -> None:
    source = _source(event)
    armored = event.data.get("reply")
    if not isinstance(armored, str):
        raise RequestInvalid("A reply_sent event needs `data.reply`, the armored reply.")
    client_replies.store_reply(
        g.db,
        g.instance.store,
        g.instance.gpg,
        source=source,
        journalist=g.journalist,
        armored=armored,
        reply_uuid=client_replies.client_uuid(event.data.get("uuid")),
        today=g.today,
    )


def _item_deleted(event: Event) -> None:
    item_uuid = event.target.get("item_uuid")
    if not isinstance(item_uuid, str):
        raise RequestInvalid("An item_deleted event's target needs an `item_uuid`.")
    found = items.item_by_uuid(g.db, item_uuid)
    _current(found, event)
    items.delete_item(g.db, g.instance.store, found, by=actor())


def _truncated(event: Event) -> None:
    items.truncate_conversation(
        g.db, g.instance.store, _source(event), by=actor(), upper_bound=_upper_bound(event)
    )


def _starred(starred: bool) -> Callable[[Event], None]:
    def handle(event: Event) -> None:
        conversations.set_starred(g.db, _source(event), starred=starred)

    return handle


HANDLERS: dict[str, Callable[[Event], None]] = {
    "reply_sent": _reply_sent,
    "item_deleted": _item_deleted,
    "source_deleted": lambda event: items.delete_source(
        g.db, g.instance.store, _source(event), by=actor()
    ),
    "source_conversation_truncated": _truncated,
    "source_starred": _starred(True),
    "source_unstarred": _starred(False),
    "source_conversation_seen": lambda event: items.mark_conversation_seen(
        g.db, g.journalist, _source(event), upper_bound=_upper_bound(event)
    ),
}


def _apply(event: Event) -> Outcome:
    handler = HANDLERS.get(event.type)
    if handler is None:
        return Outcome(HTTPStatus.BAD_REQUEST, f"Unknown event type {event.type!r}.")
    try:
        handler(event)
    except SealdropError as exc:
        g.db.rollback()
        return Outcome(exc.http_status, str(exc))
    return OK


def process(event: Event) -> Outcome:
    """The event's first outcome if it was seen before; else apply it and keep the outcome."""
    earlier = api_events.recorded(g.db, g.journalist, event.id)
    if earlier is not None:
        return earlier
    return api_events.record(g.db, g.journalist, event.id, _apply(event), today=g.today)


def order(events: list[Event]) -> list[Event]:
    """Snowflake ids grow with time: shorter is older, then the text order is the time order."""
    return sorted(events, key=lambda event: (len(event.id), event.id))
