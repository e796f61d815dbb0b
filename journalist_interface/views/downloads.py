"""Bundles for the reader machine: a source's whole conversation, or several sources', as a zip
streamed straight from the store (still encrypted; nothing is decrypted here)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, g
from flask.typing import ResponseReturnValue

from journalist_interface.forms import ActionForm
from sealdrop.db.models import Source
from sealdrop.services import bundles, conversations
from sealdrop.services.bundles import PreparedBundle

bp = Blueprint("downloads", __name__)


def zip_response(prepared: PreparedBundle, name: str) -> Response:
    """Stream the bundle; its submissions count as read once the download starts."""
    bundles.mark_downloaded(g.db, prepared)
    return Response(
        prepared.chunks,
        mimetype="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}.zip"'},
        direct_passthrough=True,
    )


def download_sources(source_uuids: list[str]) -> Response:
    prepared = bundles.bundle_sources(
        g.db,
        g.instance.store,
        source_uuids=source_uuids,
        instance=g.instance.config.instance_name,
        today=g.today,
    )
    return zip_response(prepared, f"sealdrop-{len(source_uuids)}-sources-{g.today.isoformat()}")


def download_items(source: Source, item_uuids: list[str]) -> Response:
    """The chosen items of one source; the caller checked they are that source's."""
    prepared = bundles.bundle_items(
        g.db,
        g.instance.store,
        item_uuids=item_uuids,
        instance=g.instance.config.instance_name,
        today=g.today,
    )
    name = source.journalist_designation.replace(" ", "-")
    return zip_response(prepared, f"{name}-{len(item_uuids)}-items-{g.today.isoformat()}")


@bp.post("/sources/<source_uuid>/bundle")
def source_bundle(source_uuid: str) -> ResponseReturnValue:
    if not ActionForm().validate_on_submit():
        abort(400, description="The form expired. Reload the page and try again.")
    found = conversations.source_by_uuid(g.db, source_uuid)
    prepared = bundles.bundle_source(
        g.db,
        g.instance.store,
        source=found,
        instance=g.instance.config.instance_name,
        today=g.today,
    )
    return zip_response(prepared, found.journalist_designation.replace(" ", "-"))
