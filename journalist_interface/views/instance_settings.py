"""Admin pages for the instance: its settings, the organisation's logo, the audit trail."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from journalist_interface.auth import admin_required
from journalist_interface.forms import ActionForm, LogoForm, SettingsForm
from sealdrop.errors import SettingsInvalid
from sealdrop.services import audit, settings
from sealdrop.services.settings import SettingsChange

bp = Blueprint("instance", __name__, url_prefix="/admin")
public = Blueprint("logo", __name__)  # the logo is for every journalist, not only admins
MB = 1_000_000


@bp.before_request
@admin_required
def only_admins() -> None:
    """Every page here is for admins: a journalist gets 403 before any view runs."""


def _form_from_row() -> SettingsForm:
    row = settings.instance_settings(g.db)
    return SettingsForm(
        organization_name=row.organization_name or "",
        allow_document_uploads=row.allow_document_uploads,
        min_message_length=row.min_message_length,
        max_upload_mb=row.max_upload_bytes // MB if row.max_upload_bytes else None,
        min_free_mb=row.min_free_bytes // MB if row.min_free_bytes else None,
    )


def _page(form: SettingsForm, status: int = 200) -> ResponseReturnValue:
    return render_template(
        "admin_settings.html",
        form=form,
        logo_form=LogoForm(),
        action=ActionForm(),
        has_logo=settings.logo(g.db) is not None,
        config=g.instance.config,
        in_force=settings.limits(g.db, g.instance.config),
        mb=MB,
    ), status


def _megabytes(value: int | None) -> int | None:
    return None if value is None else value * MB


@bp.route("/settings", methods=["GET", "POST"])
def edit() -> ResponseReturnValue:
    form = _form_from_row()  # on a POST, what was submitted wins over the row
    if not form.validate_on_submit():
        return _page(form, 400 if form.is_submitted() else 200)
    change = SettingsChange(
        organization_name=form.organization_name.data or "",
        allow_document_uploads=bool(form.allow_document_uploads.data),
        min_message_length=form.min_message_length.data,
        max_upload_bytes=_megabytes(form.max_upload_mb.data),
        min_free_bytes=_megabytes(form.min_free_mb.data),
    )
    inst = g.instance
    try:
        changed = settings.update(g.db, inst.store, config=inst.config, change=change)
    except SettingsInvalid as exc:
        g.db.rollback()
        flash(str(exc), "error")
        return _page(form, 400)
    for name in changed:
        audit.record(
            g.db, actor=g.journalist.username, action="change setting", target=name, today=g.today
        )
    g.db.commit()
    flash("The settings were saved." if changed else "Nothing was changed.")
    return redirect(url_for("instance.edit"))


@bp.post("/settings/logo")
def upload_logo() -> ResponseReturnValue:
    form = LogoForm()
    if not form.validate_on_submit():
        flash("Choose a PNG file to upload.", "error")
        return _page(_form_from_row(), 400)
    try:
        settings.set_logo(g.db, form.logo.data.read(settings.MAX_LOGO_BYTES + 1))
    except SettingsInvalid as exc:
        g.db.rollback()
        flash(str(exc), "error")
        return _page(_form_from_row(), 400)
    audit.record(g.db, actor=g.journalist.username, action="change logo", today=g.today)
    g.db.commit()
    flash("The logo was changed.")
    return redirect(url_for("instance.edit"))


@bp.post("/settings/logo/remove")
def remove_logo() -> ResponseReturnValue:
    if not ActionForm().validate_on_submit():
        abort(400, description="The form expired. Reload the page and try again.")
    settings.remove_logo(g.db)
    audit.record(g.db, actor=g.journalist.username, action="remove logo", today=g.today)
    g.db.commit()
    flash("The logo was removed.")
    return redirect(url_for("instance.edit"))


@bp.get("/audit")
def audit_log() -> ResponseReturnValue:
    return render_template(
        "admin_audit.html", events=audit.recent(g.db), problems=audit.broken_links(g.db)
    )


@public.get("/logo.png")
def logo() -> ResponseReturnValue:
    data = settings.logo(g.db)
    if data is None:
        abort(404, description="No logo has been uploaded.")
    # Served as an image and nothing else: nosniff is set on every answer.
    return Response(data, mimetype="image/png")
