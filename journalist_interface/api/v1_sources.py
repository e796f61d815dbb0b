"""v1: sources, their stars and their deletion."""

from __future__ import annotations

from flask import Flask, Response, current_app, g, jsonify
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue

from journalist_interface.api import serializers
from journalist_interface.api.blueprint import bp
from journalist_interface.api.sources_listing import SourcesListing
from journalist_interface.context import actor
from sealdrop.db.models import Source
from sealdrop.errors import NotFound
from sealdrop.services import conversations, items, records
from sealdrop.services.records import SourceRecord

SOURCES_CACHE = "sealdrop_v1_sources_cache"


@bp.record_once
def _install_cache(state: BlueprintSetupState) -> None:
    state.app.extensions[SOURCES_CACHE] = SourcesListing()


def warm_up(app: Flask) -> None:
    """Build the list before any client asks: a worker's first list reads every source."""
    listing: SourcesListing = app.extensions[SOURCES_CACHE]
    with app.extensions["sealdrop_instance"].sessions() as session:
        listing.body(session)


def source_record(source_uuid: str) -> SourceRecord:
    found = records.source_records(g.db, uuids=[source_uuid])
    if not found:
        raise NotFound("There is no such source.")
    return found[0]


def find_source(source_uuid: str) -> Source:
    return conversations.source_by_uuid(g.db, source_uuid)


@bp.get("/v1/sources")
def sources() -> ResponseReturnValue:
    listing: SourcesListing = current_app.extensions[SOURCES_CACHE]
    return Response(listing.body(g.db), mimetype="application/json")


@bp.get("/v1/sources/<source_uuid>")
def source(source_uuid: str) -> ResponseReturnValue:
    return jsonify(serializers.source(source_record(source_uuid)))


@bp.delete("/v1/sources/<source_uuid>")
def delete_source(source_uuid: str) -> ResponseReturnValue:
    items.delete_source(g.db, g.instance.store, find_source(source_uuid), by=actor())
    return jsonify(message="Source and submissions deleted")


@bp.delete("/v1/sources/<source_uuid>/conversation")
def delete_conversation(source_uuid: str) -> ResponseReturnValue:
    items.truncate_conversation(g.db, g.instance.store, find_source(source_uuid), by=actor())
    return jsonify(message="Source data deleted")


@bp.post("/v1/sources/<source_uuid>/add_star")
def add_star(source_uuid: str) -> ResponseReturnValue:
    conversations.set_starred(g.db, find_source(source_uuid), starred=True)
    return jsonify(message="Star added"), 201


@bp.delete("/v1/sources/<source_uuid>/remove_star")
def remove_star(source_uuid: str) -> ResponseReturnValue:
    conversations.set_starred(g.db, find_source(source_uuid), starred=False)
    return jsonify(message="Star removed")


@bp.post("/v1/sources/<source_uuid>/flag")
def flag(source_uuid: str) -> ResponseReturnValue:
    # Kept for old clients: flagging once asked for a new reply key; keys exist from the start.
    find_source(source_uuid)
    return jsonify(message="Sources no longer need to be flagged for reply")
