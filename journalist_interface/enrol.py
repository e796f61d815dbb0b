"""The two-factor enrolment page, shared by an admin enrolling someone and a journalist
re-enrolling: the QR code and secret, and the form for the first code."""

from __future__ import annotations

import time

from flask import flash, g, render_template
from flask.typing import ResponseReturnValue

from journalist_interface import pending, qr
from journalist_interface.forms import CodeForm
from sealdrop.db.models import Journalist
from sealdrop.errors import TwoFactorInvalid
from sealdrop.services import audit, enrolment

SECRET_GROUP = 4


def page(
    target: Journalist, *, form: CodeForm, action: str, status: int = 200
) -> ResponseReturnValue:
    factor = pending.waiting(target.uuid)
    picture = None
    if factor.kind == "totp":
        uri = enrolment.provisioning_uri(
            factor, account=target.username, issuer=g.instance.config.instance_name
        )
        picture = qr.svg(uri, title=f"Two-factor QR code for {target.username}")
    grouped = " ".join(
        factor.secret[i : i + SECRET_GROUP] for i in range(0, len(factor.secret), SECRET_GROUP)
    )
    return render_template(
        "enrol.html",
        target=target,
        kind=factor.kind,
        qr=picture,
        secret=grouped,
        form=form,
        action=action,
    ), status


def confirm(target: Journalist, *, form: CodeForm, action: str) -> ResponseReturnValue | None:
    """None once the waiting factor is installed, audited and committed; else the page again."""
    if not form.validate_on_submit():
        return page(target, form=form, action=action, status=400)
    factor = pending.waiting(target.uuid)
    try:
        enrolment.confirm(
            g.db, target, second_factor=factor, code=form.code.data or "", now=time.time()
        )
    except TwoFactorInvalid as exc:
        g.db.rollback()
        flash(str(exc), "error")
        return page(target, form=form, action=action, status=400)
    audit.record(
        g.db,
        actor=g.journalist.username,
        action="enrol two-factor",
        target=target.username,
        today=g.today,
    )
    g.db.commit()
    pending.clear()
    return None
