"""A journalist's own account: change the passphrase or the two-factor device (either ends
every session of theirs)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, session, url_for
from flask.typing import ResponseReturnValue

from journalist_interface import enrol, pending
from journalist_interface.forms import ActionForm, CodeForm, PassphraseForm
from sealdrop.domain import passphrases
from sealdrop.errors import PassphraseTooWeak
from sealdrop.services import audit, journalist_auth, journalists
from sealdrop.services.journalists import TwoFactor

bp = Blueprint("account", __name__, url_prefix="/account")


def _page(form: PassphraseForm, status: int = 200) -> ResponseReturnValue:
    return render_template(
        "account.html", form=form, suggestion=passphrases.suggest(), action=ActionForm()
    ), status


@bp.route("/", methods=["GET", "POST"])
def edit() -> ResponseReturnValue:
    form = PassphraseForm()
    if not form.validate_on_submit():
        return _page(form)
    cost = journalists.argon2_cost(g.instance.config)
    journalist = g.journalist
    if not journalist_auth.passphrase_matches(journalist, form.current.data or "", cost=cost):
        flash("The current passphrase is wrong.", "error")
        return _page(form, 403)
    try:
        journalists.change_passphrase(g.db, journalist, new=form.new.data or "", cost=cost)
    except PassphraseTooWeak as exc:
        flash(str(exc), "error")
        return _page(form, 400)
    audit.record(g.db, actor=journalist.username, action="change own passphrase", today=g.today)
    g.db.commit()
    session.clear()
    flash("Your passphrase was changed. Log in with the new one.")
    return redirect(url_for("auth.login"))


@bp.post("/two-factor/new")
def new_two_factor() -> ResponseReturnValue:
    if not ActionForm().validate_on_submit():
        abort(400, description="The form expired. Reload the page and try again.")
    # The current device keeps working until a code from the new one is typed.
    pending.hold(g.journalist.uuid, TwoFactor.new_totp())
    return redirect(url_for("account.two_factor"))


@bp.route("/two-factor", methods=["GET", "POST"])
def two_factor() -> ResponseReturnValue:
    action = url_for("account.two_factor")
    form = CodeForm()
    if not form.is_submitted():
        return enrol.page(g.journalist, form=form, action=action)
    refused = enrol.confirm(g.journalist, form=form, action=action)
    if refused is not None:
        return refused
    session.clear()
    flash("Your new two-factor device is set up. Log in with a code from it.")
    return redirect(url_for("auth.login"))
