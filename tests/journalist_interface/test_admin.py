"""Admin pages for accounts: who may see them, adding with two-factor enrolment, editing,
deleting, resets, and the audit entry each change writes."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from flask import Flask

from sealdrop.db.models import Journalist
from sealdrop.runtime.instance import Instance
from sealdrop.services import audit, journalists
from tests.journalist_interface.actions import HOST, JournalistActions, flashes
from tests.journalist_interface.enrolment import qr_svg, shown_secret, totp_code
from tests.sealdrop.services.journalist_helpers import PASSPHRASE

SUGGESTION = re.compile(r'<code class="suggestion">([a-z -]+)</code>')
ADMIN_PAGES = ["/admin/", "/admin/journalists/new", "/admin/settings", "/admin/audit"]
HOTP_HEX = "3132333435363738393031323334353637383930"  # RFC 4226's test secret
HOTP_BASE32 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # the same, as the page shows it


def suggested(page_html: str) -> str:
    match = SUGGESTION.search(page_html)
    assert match
    return match.group(1)


def audit_trail(inst: Instance) -> list[tuple[str, str, str]]:
    with inst.sessions() as session:
        assert audit.broken_links(session) == []
        return [(e.actor, e.action, e.target) for e in reversed(audit.recent(session))]


def account(inst: Instance, username: str) -> Journalist | None:
    with inst.sessions() as session:
        found = journalists.by_username(session, username)
        if found is not None:
            session.expunge(found)
        return found


def add(admin: JournalistActions, username: str = "fox", **extra: str) -> str:
    """Add an account through the form; the passphrase it was given."""
    form_page = admin.get("/admin/journalists/new").get_data(as_text=True)
    passphrase = suggested(form_page)
    data = {"username": username, "first_name": "Fox", "last_name": "Mulder"}
    response = admin.post("/admin/journalists/new", {**data, "passphrase": passphrase, **extra})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert "/two-factor" in response.headers["Location"]
    return passphrase


@pytest.fixture
def admin(journalist: JournalistActions, boss: Journalist) -> JournalistActions:
    journalist.login(boss)
    return journalist


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_a_journalist_gets_403_on_every_admin_page(
    journalist: JournalistActions, dana: Journalist, boss: Journalist, path: str
) -> None:
    journalist.login(dana)
    assert journalist.get(path).status_code == 403
    assert journalist.get(f"/admin/journalists/{boss.uuid}").status_code == 403
    token = journalist.csrf("/account/")
    refused = journalist.client.post(
        f"/admin/journalists/{boss.uuid}/delete", data={"csrf_token": token}, headers=HOST
    )
    assert refused.status_code == 403
    assert "Journalists" not in journalist.get("/").get_data(as_text=True)


@pytest.mark.parametrize("path", [*ADMIN_PAGES, "/logo.png"])
def test_strangers_are_sent_to_login(journalist: JournalistActions, path: str) -> None:
    response = journalist.get(path)
    assert response.status_code == 302 and response.headers["Location"] == "/login"


def test_the_list_shows_every_account(admin: JournalistActions, dana: Journalist) -> None:
    page = admin.get("/admin/").get_data(as_text=True)
    assert "boss" in page and "dana" in page and "2 accounts" in page


def test_adding_a_journalist_needs_a_code_from_the_new_device(
    admin: JournalistActions, newsroom: Flask, source_instance: Instance
) -> None:
    passphrase = add(admin)
    enrol_page = admin.get(admin_location(source_instance, "fox"))
    secret = shown_secret(enrol_page)
    svg = qr_svg(enrol_page)
    assert svg.attrib["role"] == "img" and svg.find("title") is not None
    # Not confirmed yet: nobody can log in, not even with the secret shown.
    fox = account(source_instance, "fox")
    assert fox is not None and fox.otp_secret != secret
    newcomer = JournalistActions(newsroom.test_client())
    assert newcomer.login(fox, passphrase=passphrase, code=totp_code(secret)).status_code == 403

    wrong = admin.post(admin_location(source_instance, "fox"), {"code": "000000"})
    assert wrong.status_code == 400 and "does not match" in flashes(wrong)[0]
    done = admin.post(admin_location(source_instance, "fox"), {"code": totp_code(secret)})
    assert done.status_code == 302
    fox = account(source_instance, "fox")
    assert fox is not None and fox.otp_secret == secret
    # The confirming code is spent; the next one logs in.
    assert newcomer.login(fox, passphrase=passphrase, code=totp_code(secret)).status_code == 403
    assert fox.last_totp_step is not None
    later = pyotp.TOTP(secret).at((fox.last_totp_step + 1) * 30)
    assert newcomer.login(fox, passphrase=passphrase, code=later).status_code == 302
    assert audit_trail(source_instance)[-2:] == [
        ("boss", "add journalist", "fox"),
        ("boss", "enrol two-factor", "fox"),
    ]


def admin_location(inst: Instance, username: str) -> str:
    found = account(inst, username)
    assert found is not None
    return f"/admin/journalists/{found.uuid}/two-factor"


def test_a_hardware_token_is_confirmed_with_its_code(
    admin: JournalistActions, source_instance: Instance
) -> None:
    add(admin, "hotpuser", hotp_secret=HOTP_HEX)
    page = admin.get(admin_location(source_instance, "hotpuser")).get_data(as_text=True)
    assert "<svg" not in page and "hardware token" in page
    code = pyotp.HOTP(HOTP_BASE32).at(3)  # the token was pressed a few times already
    done = admin.post(admin_location(source_instance, "hotpuser"), {"code": code})
    assert done.status_code == 302
    found = account(source_instance, "hotpuser")
    assert found is not None and found.otp_kind == "hotp" and found.hotp_counter == 4


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"username": "boss"}, "That username is taken."),
        ({"username": "x"}, "A username has 3 to 64 characters"),
        ({"passphrase": "short"}, "at least 14"),
        ({"hotp_secret": "not a secret"}, "HOTP secret"),
    ],
)
def test_bad_new_accounts_are_a_400_with_the_reason(
    admin: JournalistActions, source_instance: Instance, extra: dict[str, str], message: str
) -> None:
    passphrase = suggested(admin.get("/admin/journalists/new").get_data(as_text=True))
    data = {"username": "newbie", "passphrase": passphrase, **extra}
    response = admin.post("/admin/journalists/new", data)
    assert response.status_code == 400
    assert any(message in flash for flash in flashes(response)), flashes(response)
    assert account(source_instance, "newbie") is None
    assert not any(action == "add journalist" for _, action, _ in audit_trail(source_instance))


def test_forms_without_their_csrf_token_are_refused(
    admin: JournalistActions, dana: Journalist, source_instance: Instance
) -> None:
    for path, data in [
        ("/admin/journalists/new", {"username": "zed", "passphrase": PASSPHRASE}),
        (f"/admin/journalists/{dana.uuid}/delete", {}),
        (f"/admin/journalists/{dana.uuid}/passphrase", {}),
        ("/admin/settings", {"min_message_length": "5"}),
    ]:
        assert admin.client.post(path, data=data, headers=HOST).status_code == 400, path
    assert account(source_instance, "dana") is not None


def test_editing_renames_and_promotes_and_is_audited(
    admin: JournalistActions, dana: Journalist, source_instance: Instance
) -> None:
    path = f"/admin/journalists/{dana.uuid}"
    assert 'value="dana"' in admin.get(path).get_data(as_text=True)
    data = {"username": "dana2", "first_name": "D", "last_name": "", "is_admin": "y"}
    assert admin.post(path, data).status_code == 302
    found = account(source_instance, "dana2")
    assert found is not None and found.is_admin and found.first_name == "D"
    assert audit_trail(source_instance)[-1] == ("boss", "edit journalist", "dana -> dana2")


def test_a_taken_username_and_the_last_admin_are_refused(
    admin: JournalistActions, dana: Journalist, boss: Journalist, source_instance: Instance
) -> None:
    taken = admin.post(f"/admin/journalists/{dana.uuid}", {"username": "boss"})
    assert taken.status_code == 400 and flashes(taken) == ["That username is taken."]
    demoted = admin.post(f"/admin/journalists/{boss.uuid}", {"username": "boss"})
    assert demoted.status_code == 400
    assert flashes(demoted) == ["The last admin cannot stop being an admin."]
    found = account(source_instance, "boss")
    assert found is not None and found.is_admin


def test_deleting_asks_first_and_needs_a_post(
    admin: JournalistActions, dana: Journalist, source_instance: Instance
) -> None:
    path = f"/admin/journalists/{dana.uuid}/delete"
    confirm = admin.get(path)
    assert confirm.status_code == 200 and "Delete dana?" in confirm.get_data(as_text=True)
    assert account(source_instance, "dana") is not None
    assert admin.post(path, {}).status_code == 302
    assert account(source_instance, "dana") is None
    assert audit_trail(source_instance)[-1] == ("boss", "delete journalist", "dana")
    assert admin.get(path).status_code == 404


def test_the_last_admin_cannot_be_deleted(
    admin: JournalistActions, boss: Journalist, source_instance: Instance
) -> None:
    response = admin.post(f"/admin/journalists/{boss.uuid}/delete", {})
    assert response.status_code == 400 and flashes(response) == [
        "The last admin cannot be deleted."
    ]
    assert account(source_instance, "boss") is not None


def test_a_passphrase_reset_shows_the_new_one_once_and_it_works(
    admin: JournalistActions, dana: Journalist, newsroom: Flask, source_instance: Instance
) -> None:
    other = JournalistActions(newsroom.test_client())
    other.login(dana)
    response = admin.post(
        f"/admin/journalists/{dana.uuid}/passphrase",
        {},
        form_from=f"/admin/journalists/{dana.uuid}",
    )
    assert response.status_code == 200
    new = suggested(response.get_data(as_text=True))
    assert len(new.split()) == 7
    assert other.get("/").headers["Location"] == "/login"  # dana's session ended
    # The step's code was spent by the first login: the next step's is still in the window.
    next_code = pyotp.TOTP(dana.otp_secret).at(time.time() + 30)
    assert other.login(dana, passphrase=new, code=next_code).status_code == 302
    assert audit_trail(source_instance)[-1] == ("boss", "reset passphrase", "dana")


def test_a_two_factor_reset_takes_effect_only_once_confirmed(
    admin: JournalistActions, dana: Journalist, newsroom: Flask, source_instance: Instance
) -> None:
    started = admin.post(
        f"/admin/journalists/{dana.uuid}/two-factor/new",
        {},
        form_from=f"/admin/journalists/{dana.uuid}",
    )
    assert started.status_code == 302
    page = admin.get(started.headers["Location"])
    secret = shown_secret(page)
    qr_svg(page)
    before = account(source_instance, "dana")
    assert before is not None and before.otp_secret == dana.otp_secret  # old device still works
    wrong = admin.post(started.headers["Location"], {"code": "123456"})
    assert wrong.status_code == 400
    assert admin.post(started.headers["Location"], {"code": totp_code(secret)}).status_code == 302
    after = account(source_instance, "dana")
    assert after is not None and after.otp_secret == secret
    assert audit_trail(source_instance)[-1] == ("boss", "enrol two-factor", "dana")


def test_confirming_without_a_waiting_device_says_to_start_again(
    admin: JournalistActions, dana: Journalist
) -> None:
    path = f"/admin/journalists/{dana.uuid}/two-factor"
    assert admin.get(path).status_code == 400
    assert "Start the enrolment again" in admin.post(
        path, {"code": "123456"}, form_from="/admin/"
    ).get_data(as_text=True)
