"""Admin pages for journalist devices: a key shown once, the list, revocation with a confirmation,
and refusals (non-admins, bad input, forms without their CSRF token, no onion configured)."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from journalist_interface import create_app
from sealdrop.crypto.device_keys import DeviceKeyPair, fingerprint
from sealdrop.db.models import Journalist
from sealdrop.runtime.instance import Instance
from sealdrop.services import audit, devices
from tests.harness import ConfigFactory, ReaderKeys
from tests.journalist_interface.actions import HOST, JournalistActions, flashes
from tests.sealdrop.services.journalist_helpers import add_journalist

VECTOR = json.loads((Path(__file__).parents[1] / "vectors" / "device_keys.json").read_text())
ONION = VECTOR["onion"]
KEY_LINE = re.compile(r"([a-z2-7]{56}):descriptor:x25519:([A-Z2-7]{52})")


@pytest.fixture
def onion_instance(make_config: ConfigFactory, reader_keys: ReaderKeys) -> Iterator[Instance]:
    with make_config.instance(
        submission_key=reader_keys.public_key, extra={"SEALDROP_JOURNALIST_ONION": ONION}
    ) as opened:
        yield opened


@pytest.fixture
def people(onion_instance: Instance) -> dict[str, Journalist]:
    with onion_instance.sessions() as session:
        made = {
            "boss": add_journalist(session, onion_instance.config, "boss", admin=True),
            "dana": add_journalist(session, onion_instance.config, "dana"),
        }
        session.expunge_all()
        return made


@pytest.fixture
def app(onion_instance: Instance) -> Flask:
    return create_app(onion_instance.config, instance=onion_instance)


def actor(app: Flask, who: Journalist | None = None) -> JournalistActions:
    acting = JournalistActions(app.test_client(), host=ONION)
    if who is not None:
        assert acting.login(who).status_code == 302
    return acting


def add_device(admin: JournalistActions, owner: Journalist, name: str = "laptop") -> str:
    """Make a key through the form; the page that shows it."""
    page = admin.post("/admin/devices/", {"journalist": owner.uuid, "name": name})
    assert page.status_code == 200, flashes(page)
    assert page.headers["Cache-Control"].startswith("no-store")  # no copy kept by the browser
    return page.get_data(as_text=True)


def trail(inst: Instance) -> list[tuple[str, str, str]]:
    with inst.sessions() as session:
        assert audit.broken_links(session) == []
        return [(e.actor, e.action, e.target) for e in reversed(audit.recent(session))]


def test_a_new_key_is_shown_once_and_only_its_public_half_is_kept(
    app: Flask, people: dict[str, Journalist], onion_instance: Instance
) -> None:
    admin = actor(app, people["boss"])
    page = add_device(admin, people["dana"], "work laptop")
    match = KEY_LINE.search(page)
    assert match and match.group(1) == ONION.removesuffix(".onion")
    private = match.group(2)
    assert f'<code class="device-key">{private}</code>' in page  # for Tor Browser, alone
    public = DeviceKeyPair.from_private(base64.b32decode(private + "====")).public_b32
    with onion_instance.sessions() as session:
        (device,) = devices.everyone(session)
        assert device.public_key == public and device.name == "work laptop"
    spooled = (onion_instance.config.device_spool / f"{device.uuid}.auth").read_text()
    assert spooled == f"descriptor:x25519:{public}\n"
    # Reloading the page posts the form again: the name is taken, no key is shown.
    again = admin.post(
        "/admin/devices/", {"journalist": people["dana"].uuid, "name": "work laptop"}
    )
    assert again.status_code == 400 and "already has a device" in flashes(again)[0]
    for path in ("/admin/devices/", "/admin/audit", f"/admin/devices/{device.uuid}/revoke"):
        shown = admin.get(path).get_data(as_text=True)
        assert private not in shown and KEY_LINE.search(shown) is None, path
    assert trail(onion_instance)[-1] == (
        "boss",
        "add device",
        f"dana: work laptop ({fingerprint(public)})",
    )


def test_the_list_names_device_journalist_day_and_fingerprint(
    app: Flask, people: dict[str, Journalist], onion_instance: Instance
) -> None:
    admin = actor(app, people["boss"])
    add_device(admin, people["dana"], "phone")
    add_device(admin, people["boss"], "desk")
    listing = admin.get("/admin/devices/").get_data(as_text=True)
    assert "2 devices" in listing
    with onion_instance.sessions() as session:
        for device in devices.everyone(session):
            row = listing.split(f'<th scope="row">{device.name}</th>', 1)[1].split("</tr>")[0]
            assert device.journalist.username in row
            assert device.created_on.isoformat() in row
            assert fingerprint(device.public_key) in row
            assert device.public_key not in listing


def test_revoking_asks_first_then_takes_the_key_out(
    app: Flask, people: dict[str, Journalist], onion_instance: Instance
) -> None:
    admin = actor(app, people["boss"])
    add_device(admin, people["dana"])
    with onion_instance.sessions() as session:
        (device,) = devices.everyone(session)
        described = devices.describe(device)
    path = f"/admin/devices/{device.uuid}/revoke"
    confirm = admin.get(path)
    assert confirm.status_code == 200 and "Revoke dana's laptop?" in confirm.get_data(as_text=True)
    assert (onion_instance.config.device_spool / f"{device.uuid}.auth").exists()
    done = admin.post(path, {})
    assert done.status_code == 302 and done.headers["Location"] == "/admin/devices/"
    assert list(onion_instance.config.device_spool.iterdir()) == []
    with onion_instance.sessions() as session:
        assert devices.everyone(session) == []
    assert trail(onion_instance)[-1] == ("boss", "revoke device", described)
    assert admin.get(path).status_code == 404


def test_deleting_a_journalist_revokes_their_devices_first(
    app: Flask, people: dict[str, Journalist], onion_instance: Instance
) -> None:
    admin = actor(app, people["boss"])
    add_device(admin, people["dana"])
    assert admin.post(f"/admin/journalists/{people['dana'].uuid}/delete", {}).status_code == 302
    assert list(onion_instance.config.device_spool.iterdir()) == []
    assert [action for _, action, _ in trail(onion_instance)[-2:]] == [
        "revoke device",
        "delete journalist",
    ]


def test_journalists_get_403_and_strangers_the_login_page(
    app: Flask, people: dict[str, Journalist], onion_instance: Instance
) -> None:
    admin = actor(app, people["boss"])
    add_device(admin, people["boss"])
    with onion_instance.sessions() as session:
        (device,) = devices.everyone(session)
    revoke = f"/admin/devices/{device.uuid}/revoke"
    dana = actor(app, people["dana"])
    token = dana.csrf("/account/")
    assert dana.get("/admin/devices/").status_code == 403
    assert dana.get(revoke).status_code == 403
    for path, data in [
        ("/admin/devices/", {"journalist": people["dana"].uuid, "name": "mine"}),
        (revoke, {}),
    ]:
        posted = dana.client.post(path, data={"csrf_token": token, **data}, headers=dana.headers)
        assert posted.status_code == 403, path
    assert "Devices" not in dana.get("/").get_data(as_text=True)
    stranger = actor(app)
    assert stranger.get("/admin/devices/").headers["Location"] == "/login"
    with onion_instance.sessions() as session:
        assert [d.uuid for d in devices.everyone(session)] == [device.uuid]


@pytest.mark.parametrize(
    ("name", "status", "words"),
    [
        ("", 400, None),
        ("x" * 65, 400, None),
        ("../../etc", 400, "A device name has"),
        ("<script>", 400, "A device name has"),
    ],
)
def test_bad_names_are_a_400_and_nothing_is_made(
    app: Flask,
    people: dict[str, Journalist],
    onion_instance: Instance,
    name: str,
    status: int,
    words: str | None,
) -> None:
    admin = actor(app, people["boss"])
    refused = admin.post("/admin/devices/", {"journalist": people["dana"].uuid, "name": name})
    assert refused.status_code == status
    if words:
        assert words in flashes(refused)[0]
    assert KEY_LINE.search(refused.get_data(as_text=True)) is None
    with onion_instance.sessions() as session:
        assert devices.everyone(session) == []


def test_unknown_journalists_and_devices_are_a_404(
    app: Flask, people: dict[str, Journalist]
) -> None:
    admin = actor(app, people["boss"])
    unknown = "00000000-0000-0000-0000-000000000000"
    assert admin.post("/admin/devices/", {"journalist": unknown, "name": "x"}).status_code == 404
    assert admin.get(f"/admin/devices/{unknown}/revoke").status_code == 404
    assert (
        admin.post(f"/admin/devices/{unknown}/revoke", {}, form_from="/admin/devices/").status_code
        == 404
    )


def test_forms_without_their_csrf_token_are_refused(
    app: Flask, people: dict[str, Journalist], onion_instance: Instance
) -> None:
    admin = actor(app, people["boss"])
    add_device(admin, people["dana"])
    with onion_instance.sessions() as session:
        (device,) = devices.everyone(session)
    for path, data in [
        ("/admin/devices/", {"journalist": people["dana"].uuid, "name": "other"}),
        (f"/admin/devices/{device.uuid}/revoke", {}),
    ]:
        assert admin.client.post(path, data=data, headers=admin.headers).status_code == 400
    with onion_instance.sessions() as session:
        assert [d.name for d in devices.everyone(session)] == ["laptop"]


def test_an_unwritable_spool_is_a_503_and_nothing_is_stored(
    app: Flask, people: dict[str, Journalist], onion_instance: Instance
) -> None:
    onion_instance.config.device_spool.rmdir()
    onion_instance.config.device_spool.write_text("in the way")
    admin = actor(app, people["boss"])
    page = admin.post("/admin/devices/", {"journalist": people["dana"].uuid, "name": "laptop"})
    assert page.status_code == 503 and "cannot be written" in flashes(page)[0]
    assert KEY_LINE.search(page.get_data(as_text=True)) is None
    with onion_instance.sessions() as session:
        assert devices.everyone(session) == []


def test_without_a_journalist_onion_the_page_says_what_to_set(
    newsroom: Flask, boss: Journalist
) -> None:
    admin = JournalistActions(newsroom.test_client())
    admin.login(boss)
    assert "SEALDROP_JOURNALIST_ONION" in admin.get("/admin/devices/").get_data(as_text=True)
    token = admin.csrf("/admin/")
    refused = admin.client.post(
        "/admin/devices/",
        data={"csrf_token": token, "journalist": boss.uuid, "name": "laptop"},
        headers=HOST,
    )
    assert refused.status_code == 400 and "SEALDROP_JOURNALIST_ONION" in flashes(refused)[0]
