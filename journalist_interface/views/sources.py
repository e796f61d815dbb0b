"""The sources list (with its bulk actions) and one source's conversation, reply and star."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from journalist_interface.forms import MAX_BULK, ActionForm, BulkForm, ReplyForm, StarForm
from journalist_interface.views import downloads
from sealdrop.db.models import Source
from sealdrop.errors import EmptySubmission
from sealdrop.services import conversations, replies

bp = Blueprint("sources", __name__)


@bp.get("/")
def index() -> ResponseReturnValue:
    wanted = request.args.get("q", "")
    start = request.args.get("start", 0, type=int)
    page = conversations.sources_page(g.db, designation_filter=wanted, offset=start)
    return render_template(
        "sources.html", sources=page.summaries, page=page, wanted=wanted, form=BulkForm()
    )


@bp.post("/sources/bulk")
def bulk() -> ResponseReturnValue:
    form = BulkForm()
    if not form.validate_on_submit():
        abort(400, description="Choose an action from the buttons under the list.")
    chosen = list(form.source.data or [])[:MAX_BULK]
    if not chosen:
        abort(400, description="Select at least one source, then choose an action.")
    if form.action.data == "download":
        return downloads.download_sources(chosen)
    # Delete and mark seen join this dispatch when their services land.
    count = conversations.set_starred_many(g.db, chosen, starred=form.action.data == "star")
    verb = "starred" if form.action.data == "star" else "unstarred"
    flash(f"{count} source{'' if count == 1 else 's'} {verb}.")
    return redirect(url_for("sources.index"))


def _source_page(found: Source, form: ReplyForm, status: int = 200) -> ResponseReturnValue:
    items = conversations.conversation(found)
    return render_template(
        "source.html",
        source=found,
        items=items,
        reply_form=form,
        star_form=StarForm(),
        bundle_form=ActionForm(),
    ), status


@bp.get("/sources/<source_uuid>")
def source(source_uuid: str) -> ResponseReturnValue:
    return _source_page(conversations.source_by_uuid(g.db, source_uuid), ReplyForm())


@bp.post("/sources/<source_uuid>/reply")
def reply(source_uuid: str) -> ResponseReturnValue:
    found = conversations.source_by_uuid(g.db, source_uuid)
    form = ReplyForm()
    if not form.validate_on_submit():
        flash("Write a reply (at most 100,000 characters) before sending it.", "error")
        return _source_page(found, form, 400)
    inst = g.instance
    try:
        replies.reply_from_newsroom(
            g.db,
            inst.store,
            inst.gpg,
            source=found,
            text=form.text.data or "",
            journalist=g.journalist,
            today=g.today,
        )
    except EmptySubmission as exc:
        flash(str(exc), "error")
        return _source_page(conversations.source_by_uuid(g.db, source_uuid), form, 400)
    flash("Your reply was encrypted and stored. The source sees it at their next login.")
    return redirect(url_for("sources.source", source_uuid=source_uuid))


@bp.post("/sources/<source_uuid>/star")
def star(source_uuid: str) -> ResponseReturnValue:
    found = conversations.source_by_uuid(g.db, source_uuid)
    form = StarForm()
    if not form.validate_on_submit():
        abort(400, description="The form expired. Reload the page and try again.")
    conversations.set_starred(g.db, found, starred=form.starred.data == "1")
    return redirect(url_for("sources.source", source_uuid=source_uuid))
