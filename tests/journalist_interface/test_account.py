"""A journalist's own account: a new two-factor device counts only once a code from it works."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET

import pyotp
import segno
from flask import Flask

from sealdrop.db.models import Journalist
from sealdrop.runtime.instance import Instance
from sealdrop.services import audit, journalists
from tests.journalist_interface.actions import HOST, JournalistActions, flashes
from tests.journalist_interface.enrolment import qr_svg, shown_secret, totp_code


def start(journalist: JournalistActions) -> str:
    """Ask for a new device; the secret the enrolment page shows."""
    started = journalist.post("/account/two-factor/new", {}, form_from="/account/")
    assert started.status_code == 302 and started.headers["Location"] == "/account/two-factor"
    return shown_secret(journalist.get("/account/two-factor"))


def stored_secret(inst: Instance, journalist: Journalist) -> str:
    with inst.sessions() as session:
        return journalists.by_uuid(session, journalist.uuid).otp_secret


def test_re_enrolling_shows_a_qr_code_of_the_provisioning_uri(
    journalist: JournalistActions, dana: Journalist, source_instance: Instance
) -> None:
    instance_name = source_instance.config.instance_name
    journalist.login(dana)
    secret = start(journalist)
    page = journalist.get("/account/two-factor")
    svg = qr_svg(page)
    title = svg.find("title")
    assert title is not None and title.text == "Two-factor QR code for dana"
    assert len(secret) == 32 and secret != dana.otp_secret
    # No QR decoder here; segno is deterministic, so the same URI must draw the same modules.
    uri = pyotp.TOTP(secret).provisioning_uri(name="dana", issuer_name=instance_name)
    expected = ET.fromstring(segno.make(uri, error="m").svg_inline(scale=5))  # noqa: S314
    drawn, wanted = svg.find("path"), expected.find("path")
    assert drawn is not None and wanted is not None
    assert drawn.attrib["d"] == wanted.attrib["d"]
    assert uri.startswith("otpauth://totp/") and f"secret={secret}" in uri


def test_the_old_device_works_until_the_new_one_is_confirmed(
    journalist: JournalistActions, dana: Journalist, source_instance: Instance, newsroom: Flask
) -> None:
    journalist.login(dana)
    secret = start(journalist)
    wrong = journalist.post("/account/two-factor", {"code": "000000"})
    assert wrong.status_code == 400 and "does not match" in flashes(wrong)[0]
    assert stored_secret(source_instance, dana) == dana.otp_secret

    done = journalist.post("/account/two-factor", {"code": totp_code(secret)})
    assert done.status_code == 302 and done.headers["Location"] == "/login"
    assert stored_secret(source_instance, dana) == secret
    assert journalist.get("/").headers["Location"] == "/login"  # every session ended
    with source_instance.sessions() as session:
        last = audit.recent(session)[0]
        assert (last.actor, last.action, last.target) == ("dana", "enrol two-factor", "dana")

    renewed = journalists_row(source_instance, dana)
    later = JournalistActions(newsroom.test_client())
    assert later.login(renewed, code=pyotp.TOTP(dana.otp_secret).now()).status_code == 403
    next_step = pyotp.TOTP(secret).at((renewed.last_totp_step or 0) * 30 + 30)
    assert later.login(renewed, code=next_step).status_code == 302


def journalists_row(inst: Instance, journalist: Journalist) -> Journalist:
    with inst.sessions() as session:
        row = journalists.by_uuid(session, journalist.uuid)
        session.expunge(row)
        return row


def test_a_pending_device_belongs_to_its_session_only(
    journalist: JournalistActions, dana: Journalist, newsroom: Flask
) -> None:
    journalist.login(dana)
    start(journalist)
    other = JournalistActions(newsroom.test_client())
    next_step = pyotp.TOTP(dana.otp_secret).at(time.time() + 30)
    assert other.login(dana, code=next_step).status_code == 302
    assert other.get("/account/two-factor").status_code == 400


def test_a_tampered_pending_cookie_is_refused(
    journalist: JournalistActions, dana: Journalist
) -> None:
    journalist.login(dana)
    start(journalist)
    with journalist.client.session_transaction(headers=HOST) as session:
        session["pending_two_factor"] = "gAAAAAnot-a-real-token"
    response = journalist.get("/account/two-factor")
    assert response.status_code == 400
    assert "Start the enrolment again" in response.get_data(as_text=True)


def test_re_enrolment_needs_a_csrf_token(journalist: JournalistActions, dana: Journalist) -> None:
    journalist.login(dana)
    assert journalist.client.post("/account/two-factor/new", headers=HOST).status_code == 400
    assert (
        journalist.client.post(
            "/account/two-factor", data={"code": "123456"}, headers=HOST
        ).status_code
        == 400
    )
