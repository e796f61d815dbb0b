"""Getting a codename, confirming it, logging in and out."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, flash, g, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from sealdrop import codenames
from sealdrop.errors import CodenameMalformed, CodenameUnknown, LoginThrottled
from sealdrop.services import sources
from source_interface.forms import CreateForm, LoginForm
from source_interface.views.guard import log_in, log_out

bp = Blueprint("auth", __name__)


@bp.get("/generate")
def generate() -> ResponseReturnValue:
    form = CreateForm(codename=codenames.generate())
    return render_template("generate.html", form=form)


@bp.post("/create")
def create() -> ResponseReturnValue:
    form = CreateForm()
    if not form.validate_on_submit():
        return render_template("generate.html", form=form), 400
    try:
        codename = codenames.normalise(form.codename.data or "")
    except CodenameMalformed:
        flash(_("That codename was changed on the way. Here is a new one."), "error")
        return redirect(url_for("auth.generate"))
    login = sources.create_source(
        g.db, g.instance.gpg, config=g.instance.config, codename=codename, today=g.today
    )
    log_in(login)
    flash(_("Welcome. Remember: your codename is the only way back to this conversation."))
    return redirect(url_for("main.lookup"))


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("login.html", form=form), 400 if form.is_submitted() else 200
    try:
        login = sources.authenticate_source(
            g.db,
            config=g.instance.config,
            typed=form.codename.data or "",
            now=dt.datetime.now(dt.UTC).replace(tzinfo=None),
        )
    except (CodenameMalformed, CodenameUnknown, LoginThrottled) as exc:
        form.codename.errors = [_(str(exc))]
        return render_template("login.html", form=form), exc.http_status
    log_in(login)
    return redirect(url_for("main.lookup"))


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    log_out()
    return render_template("logout.html")
