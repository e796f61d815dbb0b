"""The landing page and the logged-in source's page: submit, read replies, delete replies."""

from __future__ import annotations

from functools import partial

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError, validate_csrf
from wtforms.validators import ValidationError

from sealdrop.domain.keys import PublicKey
from sealdrop.errors import EmptySubmission, MessageTooShort, NotFound
from sealdrop.services import intake, replies, settings, submissions
from sealdrop.services.uploads import StagedUpload, UploadBudget
from source_interface.busy import upload_slots
from source_interface.forms import ActionForm, SubmitForm
from source_interface.limits import MAX_SUBMISSION_PARTS, upload_body_limit
from source_interface.uploads import SMALL_FIELDS_BYTES, DroppedUpload, current_request
from source_interface.views.guard import load_source, login_required

bp = Blueprint("main", __name__)
# The submission form's field names (source_interface/forms.py, SubmitForm).
MESSAGE_FIELD = "message"
FILE_FIELD = "files"


@bp.get("/")
def index() -> ResponseReturnValue:
    return render_template("index.html", logged_in=load_source())


def _lookup_page(form: SubmitForm, status: int = 200) -> ResponseReturnValue:
    inst = g.instance
    row = settings.instance_settings(g.db)
    shown = replies.replies_for_source(
        g.db, inst.store, inst.gpg, source=g.source, passphrase=g.reply_passphrase
    )
    return render_template(
        "lookup.html",
        form=form,
        replies=shown,
        action=ActionForm(),
        max_upload_bytes=settings.limits(g.db, inst.config).max_upload_bytes,
        uploads_allowed=row.allow_document_uploads,
        min_message_length=row.min_message_length,
    ), status


@bp.get("/lookup")
@login_required
def lookup() -> ResponseReturnValue:
    return _lookup_page(SubmitForm())


def _stream_uploads_to(recipients: list[PublicKey]) -> None:
    """Make every file part of this request stream through gzip and gpg as it is parsed."""
    inst = g.instance
    incoming = current_request()
    if not settings.uploads_allowed(g.db):
        incoming.stream_uploads_into(
            lambda _field, _name: DroppedUpload(), max_field_bytes=_fields_budget()
        )
        return
    in_force = settings.limits(g.db, inst.config)
    budget = UploadBudget(
        in_force.max_upload_bytes,
        check_space=partial(
            intake.require_space,
            inst.store,
            config=inst.config,
            min_free_bytes=in_force.min_free_bytes,
        ),
    )
    open_upload = partial(
        submissions.open_upload,
        inst.store,
        inst.gpg,
        source=g.source,
        recipients=recipients,
        budget=budget,
    )
    # Only the form's own file field is encrypted; a part under any other name goes nowhere.
    incoming.stream_uploads_into(
        lambda field, name: open_upload(filename=name) if field == FILE_FIELD else DroppedUpload(),
        max_field_bytes=_fields_budget(),
    )


def _fields_budget() -> int:
    """All text fields of a submission together: the message and a little room for the rest."""
    return int(g.instance.config.max_message_bytes) + SMALL_FIELDS_BYTES


def _uploads_of_the_form() -> list[StagedUpload]:
    """Only the form's own file field; parts under any other name are wiped unclaimed."""
    streams: list[object] = [part.stream for part in request.files.getlist(FILE_FIELD)]
    return [stream for stream in streams if isinstance(stream, StagedUpload)]


def _check_before_reading() -> None:
    """Everything that can refuse an upload is decided before its first byte is read.

    The CSRF token travels in the form's address, so a long upload over Tor is never thrown
    away at its end for a token that was checked too late.
    """
    try:
        validate_csrf(request.args.get("csrf_token", ""))
    except ValidationError:
        raise CSRFError() from None
    if request.mimetype != "multipart/form-data":
        # Any other body (JSON, say) would be read whole into memory: only the page's form is taken.
        abort(415, description=_("Send your message and files with the form on this page."))
    limit = upload_body_limit(g.instance.config)
    if request.content_length is not None and request.content_length > limit:
        abort(413)
    current_request().max_content_length = limit
    current_request().max_form_parts = MAX_SUBMISSION_PARTS


@bp.post("/submit")
@login_required
def submit() -> ResponseReturnValue:
    inst = g.instance
    _check_before_reading()
    # A chunked body announces no length: count it as large as the limit lets it be.
    incoming = request.content_length or inst.config.max_upload_bytes
    # The active reader keys, read now: a key added or retired a moment ago already counts.
    recipients = intake.require_open(
        g.db, inst.store, inst.gpg, config=inst.config, incoming_bytes=incoming
    )
    with upload_slots(current_app).hold(str(session.get("sid", ""))):
        _stream_uploads_to(recipients)
        # Reading the form streams every file part through gpg. The message comes from the text
        # fields only: a file part named like the message must not stand for it.
        message = request.form.get(MESSAGE_FIELD, "")
        try:
            settings.require_message_length(g.db, message)
            submissions.accept(
                g.db,
                inst.store,
                inst.gpg,
                source=g.source,
                message=message,
                uploads=_uploads_of_the_form(),
                recipients=recipients,
                today=g.today,
            )
        except EmptySubmission as exc:
            flash(_(str(exc)), "error")
            return _lookup_page(SubmitForm(meta={"csrf": False}, formdata=None), 400)
        except MessageTooShort as exc:
            # The text is kept in the form so that nothing written is lost.
            flash(too_short(exc.minimum), "error")
            return _lookup_page(SubmitForm(meta={"csrf": False}, formdata=request.form), 400)
    session["has_row"] = True  # a source deleted later must not come back from this cookie
    flash(
        _(
            "Thank you. Your submission was encrypted and stored. Come back later to check "
            "for replies."
        )
    )
    return redirect(url_for("main.lookup"))


def too_short(minimum: int) -> str:
    return str(
        _(
            "Your message is too short: this instance asks for at least %(minimum)d characters. "
            "Nothing was sent; add some detail and send it again.",
            minimum=minimum,
        )
    )


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
