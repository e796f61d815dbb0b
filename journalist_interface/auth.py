"""Who is logged in: deny by default, a session cookie that names an account and its epoch,
the login and logout pages."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from flask import (
    Blueprint,
    Flask,
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

from journalist_interface.forms import LoginForm
from sealdrop.db.models import Journalist
from sealdrop.errors import LoginFailed, LoginThrottled, NotFound
from sealdrop.services import journalist_auth, journalists
from sealdrop.services.journalist_auth import Credentials

bp = Blueprint("auth", __name__)

# Everything else needs a logged-in journalist; the API blueprint checks its own tokens.
PUBLIC_ENDPOINTS = frozenset({"auth.login", "static"})
THROTTLE_KEY = "journalist_login_throttle"

P = ParamSpec("P")
R = TypeVar("R")


def current_journalist() -> Journalist | None:
    """The session's journalist, unless the session is too old or was ended since."""
    uuid, epoch, since = session.get("journalist"), session.get("epoch"), session.get("since")
    if not isinstance(uuid, str) or not isinstance(epoch, int) or not isinstance(since, int):
        return None
    max_age = g.instance.config.journalist.session_max_hours * 3600
    if time.time() - since > max_age:
        return None
    try:
        journalist = journalists.by_uuid(g.db, uuid)
    except NotFound:
        return None
    return journalist if journalist.session_epoch == epoch else None


def install(app: Flask) -> None:
    app.extensions[THROTTLE_KEY] = journalist_auth.login_throttle(
        app.extensions["sealdrop_instance"].config
    )

    @app.before_request
    def require_login() -> ResponseReturnValue | None:
        # Every path under /api/, routed or not, answers in JSON (no redirect to a login page).
        if request.endpoint in PUBLIC_ENDPOINTS or request.path.startswith("/api/"):
            return None
        journalist = current_journalist()
        if journalist is None:
            # Only an ended login is cleared: a stray request (a browser's /favicon.ico) while
            # the login page is open must not take away the form's CSRF token.
            if "journalist" in session:
                session.clear()
            return redirect(url_for("auth.login"))
        session.permanent = True  # re-sealed each request: the cookie's age measures idleness
        g.journalist = journalist
        return None


def admin_required(view: Callable[P, R]) -> Callable[P, R]:
    @functools.wraps(view)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
        if not g.journalist.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return guarded


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    form = LoginForm()
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("login.html", form=form), status
    config = g.instance.config
    credentials = Credentials(
        form.username.data or "", form.passphrase.data or "", form.code.data or ""
    )
    try:
        journalist = journalist_auth.authenticate(
            g.db,
            current_app.extensions[THROTTLE_KEY],
            credentials=credentials,
            cost=journalists.argon2_cost(config),
            now=time.time(),
        )
    except (LoginFailed, LoginThrottled) as exc:
        flash(str(exc), "error")
        return render_template("login.html", form=LoginForm(formdata=None)), exc.http_status
    session.clear()
    session.permanent = True
    session.update(
        journalist=journalist.uuid, epoch=journalist.session_epoch, since=int(time.time())
    )
    return redirect(url_for("sources.index"))


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    session.clear()
    flash("You are logged out.")
    return redirect(url_for("auth.login"))
