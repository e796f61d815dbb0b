"""v1: messages and files, their downloads, and marking items seen."""

from __future__ import annotations

from flask import g, jsonify
from flask.typing import ResponseReturnValue

from journalist_interface.api import payload, serializers
from journalist_interface.api.blueprint import bp
from journalist_interface.api.downloads import send_item
from journalist_interface.api.v1_sources import find_source
from journalist_interface.context import actor
from sealdrop.db.models import Submission
from sealdrop.services import items, records


def _submission(source_uuid: str, item_uuid: str) -> Submission:
    return items.submission_of(g.db, find_source(source_uuid), item_uuid)


@bp.get("/v1/submissions")
def all_submissions() -> ResponseReturnValue:
    found = records.item_records(g.db, records.all_submissions(g.db), every=True)
    return jsonify(submissions=[serializers.submission(each) for each in found])


@bp.get("/v1/sources/<source_uuid>/submissions")
def submissions(source_uuid: str) -> ResponseReturnValue:
    found = records.item_records(g.db, find_source(source_uuid).submissions)
    return jsonify(submissions=[serializers.submission(each) for each in found])


@bp.get("/v1/sources/<source_uuid>/submissions/<item_uuid>")
def submission(source_uuid: str, item_uuid: str) -> ResponseReturnValue:
    [found] = records.item_records(g.db, [_submission(source_uuid, item_uuid)])
    return jsonify(serializers.submission(found))


@bp.get("/v1/sources/<source_uuid>/submissions/<item_uuid>/download")
def download_submission(source_uuid: str, item_uuid: str) -> ResponseReturnValue:
    found = _submission(source_uuid, item_uuid)
    response = send_item(found)
    items.mark_read(g.db, [found])  # as SecureDrop does: a downloaded submission is read
    return response


@bp.delete("/v1/sources/<source_uuid>/submissions/<item_uuid>")
def delete_submission(source_uuid: str, item_uuid: str) -> ResponseReturnValue:
    items.delete_item(g.db, g.instance.store, _submission(source_uuid, item_uuid), by=actor())
    return jsonify(message="Submission deleted")


@bp.post("/v1/seen")
def seen() -> ResponseReturnValue:
    body = payload.json_object()
    files, messages = payload.uuid_list(body, "files"), payload.uuid_list(body, "messages")
    replies = payload.uuid_list(body, "replies")
    items.mark_seen(g.db, g.journalist, submissions=[*files, *messages], replies=replies)
    return jsonify(message="resources marked seen")
