"""v2 sync: the index of every record's version, then the records and events a client asks for."""

from __future__ import annotations

from flask import Response, g, jsonify, request
from flask.typing import ResponseReturnValue

from journalist_interface.api import events, index_answers, payload, serializers
from journalist_interface.api.blueprint import bp
from sealdrop.errors import RequestInvalid
from sealdrop.services import journalists, records, versions


@bp.get("/v2/index")
def index() -> ResponseReturnValue:
    # Unchanged since this worker last read it: one one-row query, whatever the client holds.
    answer = index_answers.current(g.db)
    if request.if_none_match.contains(answer.version):
        return _not_modified(answer.version)
    response = Response(answer.body, mimetype="application/json")
    response.set_etag(answer.version)
    return response


def _not_modified(version: str) -> Response:
    response = Response(status=304)
    response.set_etag(version)
    return response


def _journalists(uuids: list[str]) -> dict[str, object]:
    known = {each.uuid: each for each in journalists.everyone(g.db)}
    return {
        uuid: serializers.journalist_v2(known[uuid]) if uuid in known else None for uuid in uuids
    }


@bp.post("/v2/data")
def data() -> ResponseReturnValue:
    body = payload.json_object()
    raw_events = body.get("events", [])
    if not isinstance(raw_events, list):
        raise RequestInvalid("`events` must be a list of events.")
    parsed = [events.parse(raw) for raw in raw_events]
    source_uuids, item_uuids = payload.uuid_list(body, "sources"), payload.uuid_list(body, "items")
    journalist_uuids = payload.uuid_list(body, "journalists")
    if versions.fill_missing(g.db):
        g.db.commit()
    results = {}
    for event in events.order(parsed):
        outcome = events.process(event)
        results[event.id] = [outcome.status, outcome.message]
    g.db.expire_all()  # what the events changed is read afresh below
    found_sources = {
        record.source.uuid: serializers.source_v2(record)
        for record in records.source_records(g.db, uuids=source_uuids)
    }
    found_items = {
        record.item.uuid: serializers.item_v2(record)
        for record in records.item_records(g.db, records.items_by_uuid(g.db, item_uuids))
    }
    return jsonify(
        sources={uuid: found_sources.get(uuid) for uuid in source_uuids},
        items={uuid: found_items.get(uuid) for uuid in item_uuids},
        journalists=_journalists(journalist_uuids),
        events=results,
    )
