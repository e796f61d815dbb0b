"""Admin pages for accounts: list, add (with two-factor enrolment), edit, delete, resets."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from journalist_interface import enrol, pending
from journalist_interface.auth import admin_required
from journalist_interface.forms import (
    ActionForm,
    CodeForm,
    NewJournalistForm,
    ProfileForm,
    TwoFactorForm,
)
from sealdrop.db.models import Journalist
from sealdrop.domain import passphrases
from sealdrop.errors import AccountInvalid, PassphraseTooWeak, TwoFactorInvalid
from sealdrop.services import audit, devices, journalists
from sealdrop.services.journalists import Profile, TwoFactor

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@admin_required
def only_admins() -> None:
    """Every page here is for admins: a journalist gets 403 before any view runs."""


def _audit(action: str, target: str) -> None:
    audit.record(g.db, actor=g.journalist.username, action=action, target=target, today=g.today)


def _profile(form: ProfileForm) -> Profile:
    return Profile(
        form.username.data or "", form.first_name.data, form.last_name.data, form.is_admin.data
    )


def _second_factor(hotp_secret: str | None) -> TwoFactor:
    typed = (hotp_secret or "").strip()
    return TwoFactor.hotp(typed) if typed else TwoFactor.new_totp()


@bp.get("/")
def journalists_list() -> ResponseReturnValue:
    return render_template(
        "admin_journalists.html", people=journalists.everyone(g.db), action=ActionForm()
    )


def _new_page(form: NewJournalistForm, status: int = 200) -> ResponseReturnValue:
    # A fresh suggestion each time the form is shown: one that failed is never offered again.
    form.passphrase.data = passphrases.suggest()
    return render_template("admin_new.html", form=form), status


@bp.route("/journalists/new", methods=["GET", "POST"])
def new_journalist() -> ResponseReturnValue:
    form = NewJournalistForm()
    if not form.validate_on_submit():
        return _new_page(form, 400 if form.is_submitted() else 200)
    try:
        factor = _second_factor(form.hotp_secret.data)
        # Locked until the first code: the secret stored now is one nobody was ever shown.
        created = journalists.create(
            g.db,
            profile=_profile(form),
            passphrase=form.passphrase.data or "",
            second_factor=TwoFactor.new_totp(),
            cost=journalists.argon2_cost(g.instance.config),
            today=g.today,
        )
    except (AccountInvalid, PassphraseTooWeak, TwoFactorInvalid) as exc:
        g.db.rollback()
        flash(str(exc), "error")
        return _new_page(form, 400)
    _audit("add journalist", created.username)
    g.db.commit()
    pending.hold(created.uuid, factor)
    return redirect(url_for("admin.two_factor", journalist_uuid=created.uuid))


@bp.route("/journalists/<journalist_uuid>/two-factor", methods=["GET", "POST"])
def two_factor(journalist_uuid: str) -> ResponseReturnValue:
    target = journalists.by_uuid(g.db, journalist_uuid)
    action = url_for("admin.two_factor", journalist_uuid=journalist_uuid)
    form = CodeForm()
    if not form.is_submitted():
        return enrol.page(target, form=form, action=action)
    refused = enrol.confirm(target, form=form, action=action)
    if refused is not None:
        return refused
    flash(f"Two-factor authentication for {target.username} is set up.")
    return redirect(url_for("admin.journalists_list"))


@bp.post("/journalists/<journalist_uuid>/two-factor/new")
def reset_two_factor(journalist_uuid: str) -> ResponseReturnValue:
    target = journalists.by_uuid(g.db, journalist_uuid)
    form = TwoFactorForm()
    if not form.validate_on_submit():
        abort(400, description="The HOTP secret is too long, or the form expired. Try again.")
    # The old factor keeps working until a code from the new one is typed.
    pending.hold(target.uuid, _second_factor(form.hotp_secret.data))
    return redirect(url_for("admin.two_factor", journalist_uuid=journalist_uuid))


def _edit_page(target: Journalist, form: ProfileForm, status: int = 200) -> ResponseReturnValue:
    return render_template(
        "admin_edit.html",
        target=target,
        form=form,
        two_factor=TwoFactorForm(),
        action=ActionForm(),
    ), status


@bp.route("/journalists/<journalist_uuid>", methods=["GET", "POST"])
def edit(journalist_uuid: str) -> ResponseReturnValue:
    target = journalists.by_uuid(g.db, journalist_uuid)
    form = ProfileForm(obj=target)
    if not form.validate_on_submit():
        return _edit_page(target, form, 400 if form.is_submitted() else 200)
    old_name = target.username
    try:
        journalists.edit(g.db, target, profile=_profile(form))
    except AccountInvalid as exc:
        g.db.rollback()
        flash(str(exc), "error")
        return _edit_page(journalists.by_uuid(g.db, journalist_uuid), form, 400)
    name = old_name if old_name == target.username else f"{old_name} -> {target.username}"
    _audit("edit journalist", name)
    g.db.commit()
    flash(f"{target.username} was saved.")
    return redirect(url_for("admin.journalists_list"))


@bp.post("/journalists/<journalist_uuid>/passphrase")
def reset_passphrase(journalist_uuid: str) -> ResponseReturnValue:
    target = journalists.by_uuid(g.db, journalist_uuid)
    if not ActionForm().validate_on_submit():
        abort(400, description="The form expired. Reload the page and try again.")
    new = passphrases.suggest()
    cost = journalists.argon2_cost(g.instance.config)
    journalists.change_passphrase(g.db, target, new=new, cost=cost)
    _audit("reset passphrase", target.username)
    g.db.commit()
    # Shown once, in this answer only: hand it over, then leave the page.
    return render_template("admin_passphrase.html", target=target, passphrase=new)


@bp.route("/journalists/<journalist_uuid>/delete", methods=["GET", "POST"])
def delete(journalist_uuid: str) -> ResponseReturnValue:
    target = journalists.by_uuid(g.db, journalist_uuid)
    form = ActionForm()
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("admin_delete.html", target=target, form=form), status
    username = target.username
    try:
        journalists.require_removable(g.db, target)
        revoked = devices.revoke_all_of(g.db, g.instance.config, target)
        journalists.remove(g.db, target)
    except AccountInvalid as exc:
        g.db.rollback()
        flash(str(exc), "error")
        return render_template("admin_delete.html", target=target, form=form), 400
    for described in revoked:
        _audit("revoke device", described)
    _audit("delete journalist", username)
    g.db.commit()
    flash(f"{username} was deleted.")
    return redirect(url_for("admin.journalists_list"))
