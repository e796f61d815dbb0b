"""A journalist's own account: change the passphrase (which ends every session of theirs)."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, session, url_for
from flask.typing import ResponseReturnValue

from journalist_interface.forms import PassphraseForm
from sealdrop.domain import passphrases
from sealdrop.errors import PassphraseTooWeak
from sealdrop.services import audit, journalist_auth, journalists

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.route("/", methods=["GET", "POST"])
def edit() -> ResponseReturnValue:
    form = PassphraseForm()
    if not form.validate_on_submit():
        return render_template("account.html", form=form, suggestion=passphrases.suggest())
    cost = journalists.argon2_cost(g.instance.config)
    journalist = g.journalist
    if not journalist_auth.passphrase_matches(journalist, form.current.data or "", cost=cost):
        flash("The current passphrase is wrong.", "error")
        return render_template("account.html", form=form, suggestion=passphrases.suggest()), 403
    try:
        journalists.change_passphrase(g.db, journalist, new=form.new.data or "", cost=cost)
    except PassphraseTooWeak as exc:
        flash(str(exc), "error")
        return render_template("account.html", form=form, suggestion=passphrases.suggest()), 400
    audit.record(g.db, actor=journalist.username, action="change own passphrase", today=g.today)
    g.db.commit()
    session.clear()
    flash("Your passphrase was changed. Log in with the new one.")
    return redirect(url_for("auth.login"))
