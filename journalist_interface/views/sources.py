"""The sources list (with its bulk actions) and one source's conversation: reply, star, and the
checked items' download, mark seen and delete; deleting asks on a confirmation page first."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from journalist_interface.context import actor
from journalist_interface.forms import (
    MAX_BULK,
    ActionForm,
    BulkForm,
    ConfirmForm,
    ItemsForm,
    ReplyForm,
    StarForm,
)
from journalist_interface.views import downloads
from sealdrop.db.models import Source
from sealdrop.errors import EmptySubmission
from sealdrop.services import conversations, items, replies

bp = Blueprint("sources", __name__)


@bp.get("/")
def index() -> ResponseReturnValue:
    wanted = request.args.get("q", "")
    start = request.args.get("start", 0, type=int)
    page = conversations.sources_page(g.db, designation_filter=wanted, offset=start)
    return render_template(
        "sources.html", sources=page.summaries, page=page, wanted=wanted, form=BulkForm()
    )


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _confirm_page(
    *,
    heading: str,
    explanation: str,
    names: list[str],
    action_url: str,
    hidden: list[tuple[str, str]],
    button: str,
    cancel_url: str,
) -> ResponseReturnValue:
    """Nothing is deleted yet: the page posts the same choice back with `confirm`."""
    return render_template(
        "confirm_delete.html",
        heading=heading,
        explanation=explanation,
        names=names,
        action_url=action_url,
        hidden=hidden,
        button=button,
        cancel_url=cancel_url,
        form=ConfirmForm(),
    )


def _delete_sources(chosen: list[Source]) -> None:
    """Each source goes in its own transaction, its audit entry with it."""
    for found in chosen:
        items.delete_source(g.db, g.instance.store, found, by=actor())


@bp.post("/sources/bulk")
def bulk() -> ResponseReturnValue:
    form = BulkForm()
    if not form.validate_on_submit():
        abort(400, description="Choose an action from the buttons under the list.")
    chosen = list(form.source.data or [])[:MAX_BULK]
    if not chosen:
        abort(400, description="Select at least one source, then choose an action.")
    action = form.action.data
    if action == "download":
        return downloads.download_sources(chosen)
    if action in {"star", "unstar"}:
        count = conversations.set_starred_many(g.db, chosen, starred=action == "star")
        flash(f"{_plural(count, 'source')} {action}red.")
        return redirect(url_for("sources.index"))
    found = items.sources_by_uuid(g.db, chosen)
    if action == "delete":
        if form.confirm.data != "yes":
            return _confirm_page(
                heading=f"Delete {_plural(len(found), 'source')}?",
                explanation="Each source below is deleted with every message, file and reply.",
                names=[source.journalist_designation for source in found],
                action_url=url_for("sources.bulk"),
                hidden=[("action", "delete"), *(("source", source.uuid) for source in found)],
                button="Delete them for good",
                cancel_url=url_for("sources.index"),
            )
        _delete_sources(found)
        flash(f"{_plural(len(found), 'source')} deleted with everything they sent.")
        return redirect(url_for("sources.index"))
    every: list[items.Item] = []
    for source in found:
        every.extend(source.submissions)
        every.extend(source.replies)
    if action == "seen":
        items.mark_items_seen(g.db, g.journalist, every)
    else:
        items.mark_items_unseen(g.db, g.journalist, every)
    flash(f"{_plural(len(found), 'source')} marked {action} for you.")
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
        items_form=ItemsForm(),
        delete_form=ActionForm(),
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


@bp.post("/sources/<source_uuid>/items")
def selected_items(source_uuid: str) -> ResponseReturnValue:
    found = conversations.source_by_uuid(g.db, source_uuid)
    form = ItemsForm()
    if not form.validate_on_submit():
        abort(400, description="Choose an action from the buttons under the conversation.")
    chosen = list(form.item.data or [])[:MAX_BULK]
    if not chosen:
        abort(400, description="Select at least one message, file or reply, then choose an action.")
    picked = items.items_of(g.db, found, chosen)
    back = url_for("sources.source", source_uuid=source_uuid)
    if form.action.data == "download":
        return downloads.download_items(found, [item.uuid for item in picked])
    if form.action.data == "seen":
        items.mark_items_seen(g.db, g.journalist, picked)
        flash(f"{_plural(len(picked), 'item')} marked seen for you.")
        return redirect(back)
    designation = found.journalist_designation
    if form.confirm.data != "yes":
        return _confirm_page(
            heading=f"Delete {_plural(len(picked), 'item')} of {designation}?",
            explanation="These messages, files and replies are deleted; the source stays.",
            names=[
                f"#{item.interaction_count} {items.kind_of(item)} {item.filename}"
                for item in picked
            ],
            action_url=url_for("sources.selected_items", source_uuid=source_uuid),
            hidden=[("action", "delete"), *(("item", item.uuid) for item in picked)],
            button="Delete them for good",
            cancel_url=back,
        )
    for item in picked:
        items.delete_item(g.db, g.instance.store, item, by=actor())
    flash(f"{_plural(len(picked), 'item')} deleted.")
    return redirect(back)


@bp.post("/sources/<source_uuid>/delete")
def delete_source(source_uuid: str) -> ResponseReturnValue:
    found = conversations.source_by_uuid(g.db, source_uuid)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400, description="The form expired. Reload the page and try again.")
    designation = found.journalist_designation
    if form.confirm.data != "yes":
        return _confirm_page(
            heading=f"Delete {designation}?",
            explanation="The source is deleted with every message, file and reply; its codename "
            "no longer logs in.",
            names=[designation],
            action_url=url_for("sources.delete_source", source_uuid=source_uuid),
            hidden=[],
            button=f"Delete {designation} and everything it sent",
            cancel_url=url_for("sources.source", source_uuid=source_uuid),
        )
    _delete_sources([found])
    flash(f"{designation} was deleted with everything it sent.")
    return redirect(url_for("sources.index"))
