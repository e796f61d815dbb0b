"""Getting a codename, confirming it, logging in and out."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, flash, g, redirect, render_template, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from sealdrop import codenames
from sealdrop.codenames import Codename
from sealdrop.errors import CodenameMalformed, CodenameUnknown, LoginThrottled
from sealdrop.services import sources
from source_interface.forms import CreateForm, LoginForm
from source_interface.views.guard import log_in, log_out

bp = Blueprint("auth", __name__)


@bp.get("/generate")
def generate() -> ResponseReturnValue:
    # Kept in the encrypted session, never in the form: /create takes no codename from the client.
    session["new_codename"] = codenames.generate()
    return render_template("generate.html", form=CreateForm(), codename=session["new_codename"])


@bp.post("/create")
def create() -> ResponseReturnValue:
    form = CreateForm()
    codename = session.get("new_codename")
    if not codename:
        flash(_("Your page was too old. Here is a new codename."), "error")
        return redirect(url_for("auth.generate"))
    if not form.validate_on_submit():
        return render_template("generate.html", form=form, codename=codename), 400
    login = sources.create_source(
        g.db, g.instance.gpg, config=g.instance.config, codename=Codename(str(codename)),
        now=dt.datetime.now(dt.UTC).replace(tzinfo=None),
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
    # Also asks the browser to forget this site's cookies and cache; the language goes with them.
    return render_template("logout.html"), 200, {"Clear-Site-Data": '"cache", "cookies"'}
