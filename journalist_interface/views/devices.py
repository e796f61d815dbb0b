"""Admin pages for journalist devices: the keys that open the journalist onion.

A new key's private half is in the answer to the POST that made it, and nowhere else: the page
is not stored, not cached (no-store), and a reload re-posts the form, which the taken name refuses.
"""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from journalist_interface.auth import admin_required
from journalist_interface.forms import ActionForm, DeviceForm
from sealdrop.errors import DeviceInvalid, DeviceSpoolUnwritable
from sealdrop.services import audit, devices, journalists

bp = Blueprint("devices", __name__, url_prefix="/admin/devices")


@bp.before_request
@admin_required
def only_admins() -> None:
    """Every page here is for admins: a journalist gets 403 before any view runs."""


def _audit(action: str, target: str) -> None:
    audit.record(g.db, actor=g.journalist.username, action=action, target=target, today=g.today)


def _list_page(form: DeviceForm, status: int = 200) -> ResponseReturnValue:
    people = journalists.everyone(g.db)
    form.journalist.choices = [(person.uuid, person.username) for person in people]
    return render_template(
        "admin_devices.html",
        devices=devices.everyone(g.db),
        form=form,
        onion=g.instance.config.journalist.onion,
        fingerprint=devices.fingerprint_of,
    ), status


@bp.get("/")
def device_list() -> ResponseReturnValue:
    return _list_page(DeviceForm())


@bp.post("/")
def new_device() -> ResponseReturnValue:
    form = DeviceForm()
    if not form.validate_on_submit():
        return _list_page(form, 400)
    owner = journalists.by_uuid(g.db, form.journalist.data or "")
    try:
        created = devices.create(
            g.db, g.instance.config, journalist=owner, name=form.name.data or "", today=g.today
        )
    except (DeviceInvalid, DeviceSpoolUnwritable) as exc:
        g.db.rollback()
        flash(str(exc), "error")
        return _list_page(form, exc.http_status)
    _audit("add device", devices.describe(created.device))
    g.db.commit()
    # Shown once, in this answer only: hand it over, then leave the page.
    return render_template(
        "admin_device_key.html", created=created, onion=g.instance.config.journalist.onion
    )


@bp.route("/<device_uuid>/revoke", methods=["GET", "POST"])
def revoke(device_uuid: str) -> ResponseReturnValue:
    device = devices.by_uuid(g.db, device_uuid)
    form = ActionForm()
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("admin_device_revoke.html", device=device, form=form), status
    described = devices.describe(device)
    devices.revoke(g.db, g.instance.config, device)
    _audit("revoke device", described)
    g.db.commit()
    flash(f"The key of {described} is revoked; Tor stops accepting it within seconds.")
    return redirect(url_for("devices.device_list"))
