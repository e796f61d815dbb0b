"""The landing page and the logged-in source's page: submit, read replies, delete replies."""

from __future__ import annotations

from functools import partial

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from sealdrop.errors import EmptySubmission, NotFound
from sealdrop.services import PublicKey, instance, replies, submissions
from sealdrop.services.uploads import StagedUpload, UploadBudget
from source_interface.forms import ActionForm, SubmitForm
from source_interface.views.guard import load_source, login_required

bp = Blueprint("main", __name__)


@bp.get("/")
def index() -> ResponseReturnValue:
    return render_template("index.html", logged_in=load_source())


def _lookup_page(form: SubmitForm, status: int = 200) -> ResponseReturnValue:
    inst = g.instance
    shown = replies.replies_for_source(
        g.db, inst.store, inst.gpg, source=g.source, passphrase=g.reply_passphrase
    )
    return render_template(
        "lookup.html",
        form=form,
        replies=shown,
        action=ActionForm(),
        max_upload_bytes=inst.config.max_upload_bytes,
        uploads_allowed=instance.uploads_allowed(g.db),
    ), status


@bp.get("/lookup")
@login_required
def lookup() -> ResponseReturnValue:
    return _lookup_page(SubmitForm())


def _stream_uploads_to(recipient: PublicKey) -> None:
    """Make every file part of this request stream through gzip and gpg as it is parsed."""
    inst = g.instance
    if not instance.uploads_allowed(g.db):
        return  # file parts are then dropped unread
    budget = UploadBudget(
        inst.config.max_upload_bytes,
        check_space=partial(instance.require_space, inst.store, config=inst.config),
    )
    request.upload_factory = partial(  # type: ignore[attr-defined]
        submissions.open_upload, inst.store, inst.gpg, source=g.source, recipients=[recipient],
        budget=budget,
    )


def _uploads_of_the_form() -> list[StagedUpload]:
    """Only the form's own file field; parts under any other name are wiped unclaimed."""
    streams: list[object] = [part.stream for part in request.files.getlist("fh")]
    return [stream for stream in streams if isinstance(stream, StagedUpload)]


@bp.post("/submit")
@login_required
def submit() -> ResponseReturnValue:
    inst = g.instance
    # A chunked body announces no length: count it as large as the limit lets it be.
    incoming = request.content_length or inst.config.max_upload_bytes
    recipient = instance.require_open(g.db, inst.store, inst.gpg, config=inst.config,
                                      incoming_bytes=incoming)
    _stream_uploads_to(recipient)
    form = SubmitForm()  # reading the form streams every file part through gpg
    if not form.validate_on_submit():
        flash(_("The form expired or was incomplete. Nothing was stored; please send it again."),
              "error")
        return _lookup_page(SubmitForm(), 400)
    try:
        submissions.accept(g.db, inst.store, inst.gpg, source=g.source,
                           message=form.msg.data or "", uploads=_uploads_of_the_form(),
                           recipients=[recipient], today=g.today)
    except EmptySubmission as exc:
        flash(_(str(exc)), "error")
        return _lookup_page(form, 400)
    flash(_("Thank you. Your submission was encrypted and stored. Come back later to check "
            "for replies."))
    return redirect(url_for("main.lookup"))


@bp.post("/replies/<reply_uuid>/delete")
@login_required
def delete_reply(reply_uuid: str) -> ResponseReturnValue:
    try:
        replies.delete_reply(g.db, source=g.source, reply_uuid=reply_uuid)
    except NotFound:
        abort(404)
    flash(_("Reply deleted."))
    return redirect(url_for("main.lookup"))


@bp.post("/replies/delete-all")
@login_required
def delete_all_replies() -> ResponseReturnValue:
    count = replies.delete_all_replies(g.db, source=g.source)
    flash(_("All replies deleted.") if count else _("There were no replies to delete."))
    return redirect(url_for("main.lookup"))
