"""v1: replies, sent already encrypted by the client."""

from __future__ import annotations

from flask import g, jsonify
from flask.typing import ResponseReturnValue

from journalist_interface.api import payload, serializers
from journalist_interface.api.blueprint import bp
from journalist_interface.api.downloads import send_item
from journalist_interface.api.v1_sources import find_source
from journalist_interface.context import actor
from sealdrop.db.models import Reply
from sealdrop.errors import RequestInvalid
from sealdrop.services import client_replies, items, records


def _reply(source_uuid: str, item_uuid: str) -> Reply:
    return items.reply_of(g.db, find_source(source_uuid), item_uuid)


@bp.get("/v1/replies")
def all_replies() -> ResponseReturnValue:
    found = records.item_records(g.db, records.all_replies(g.db), every=True)
    return jsonify(replies=[serializers.reply(each) for each in found])


@bp.get("/v1/sources/<source_uuid>/replies")
def replies(source_uuid: str) -> ResponseReturnValue:
    found = records.item_records(g.db, find_source(source_uuid).replies)
    return jsonify(replies=[serializers.reply(each) for each in found])


@bp.post("/v1/sources/<source_uuid>/replies")
def send_reply(source_uuid: str) -> ResponseReturnValue:
    source = find_source(source_uuid)
    body = payload.json_object()
    armored = body.get("reply")
    if not isinstance(armored, str) or not armored.strip():
        raise RequestInvalid("`reply` is missing or empty: send the armored, encrypted reply.")
    stored = client_replies.store_reply(
        g.db,
        g.instance.store,
        g.instance.gpg,
        source=source,
        journalist=g.journalist,
        armored=armored,
        reply_uuid=client_replies.client_uuid(body.get("uuid")),
        today=g.today,
    )
    return jsonify(
        message="Your reply has been stored", uuid=stored.uuid, filename=stored.filename
    ), 201


@bp.get("/v1/sources/<source_uuid>/replies/<item_uuid>")
def reply(source_uuid: str, item_uuid: str) -> ResponseReturnValue:
    [found] = records.item_records(g.db, [_reply(source_uuid, item_uuid)])
    return jsonify(serializers.reply(found))


@bp.get("/v1/sources/<source_uuid>/replies/<item_uuid>/download")
def download_reply(source_uuid: str, item_uuid: str) -> ResponseReturnValue:
    return send_item(_reply(source_uuid, item_uuid))


@bp.delete("/v1/sources/<source_uuid>/replies/<item_uuid>")
def delete_reply(source_uuid: str, item_uuid: str) -> ResponseReturnValue:
    items.delete_item(g.db, g.instance.store, _reply(source_uuid, item_uuid), by=actor())
    return jsonify(message="Reply deleted")
