"""The sources list and one source's conversation."""

from __future__ import annotations

from flask import Blueprint, g, render_template, request
from flask.typing import ResponseReturnValue

from sealdrop.services import conversations

bp = Blueprint("sources", __name__)


@bp.get("/")
def index() -> ResponseReturnValue:
    wanted = request.args.get("q", "")
    summaries = conversations.source_summaries(g.db, designation_filter=wanted)
    return render_template("sources.html", sources=summaries, wanted=wanted)


@bp.get("/sources/<source_uuid>")
def source(source_uuid: str) -> ResponseReturnValue:
    found = conversations.source_by_uuid(g.db, source_uuid)
    items = conversations.conversation(found)
    return render_template("source.html", source=found, items=items)
