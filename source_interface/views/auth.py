"""Getting a codename, confirming it, logging in and out."""

from __future__ import annotations

import secrets

from flask import Blueprint, current_app, flash, g, redirect, render_template, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from sealdrop.domain import codenames
from sealdrop.domain.codenames import Codename
from sealdrop.errors import CodenameMalformed, CodenameUnknown, LoginThrottled
from sealdrop.services import sources
from source_interface.busy import kdf_gate
from source_interface.forms import CreateForm, LoginForm
from source_interface.views.guard import log_in, log_out

bp = Blueprint("auth", __name__)
# Codename pages a session remembers: a source with a few tabs open gets, from any of them, the
# codename that tab showed. Older pages are told to get a new codename.
PAGES_KEPT = 5


@bp.get("/generate")
def generate() -> ResponseReturnValue:
    # Kept in the encrypted session, never in the form: /create takes no codename from the
    # client, only the random id of the page that showed it.
    page = secrets.token_urlsafe(16)
    shown = dict(session.get("new_codenames") or {})
    shown[page] = codenames.generate()
    for old in list(shown)[:-PAGES_KEPT]:
        del shown[old]
    session["new_codenames"] = shown
    return render_template("generate.html", form=CreateForm(page=page), codename=shown[page])


@bp.post("/create")
def create() -> ResponseReturnValue:
    form = CreateForm()
    codename = (session.get("new_codenames") or {}).get(form.page.data or "")
    if not codename:
        flash(_("Your page was too old. Here is a new codename."), "error")
        return redirect(url_for("auth.generate"))
    if not form.validate_on_submit():
        return render_template("generate.html", form=form, codename=codename), 400
    # Nothing is stored yet: the row and key come with the first submission.
    with kdf_gate(current_app).hold():
        new = sources.begin_source(g.db, config=g.instance.config, codename=Codename(str(codename)))
    log_in(new)
    flash(_("Welcome. Remember: your codename is the only way back to this conversation."))
    return redirect(url_for("main.lookup"))


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("login.html", form=form), 400 if form.is_submitted() else 200
    try:
        with kdf_gate(current_app).hold():
            login = sources.authenticate_source(
                g.db,
                g.instance.gpg,
                config=g.instance.config,
                throttle=g.instance.throttle,
                typed=form.codename.data or "",
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
