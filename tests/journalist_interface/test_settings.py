"""The instance settings page, the organisation's logo and the audit log, as admins use them."""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator

import pytest

from sealdrop.db.models import Journalist
from sealdrop.runtime.instance import Instance
from sealdrop.services import audit, settings
from tests.harness import ConfigFactory, ReaderKeys
from tests.journalist_interface.actions import HOST, JournalistActions, flashes

MB = 1_000_000
# The smallest valid PNG: one transparent pixel.
PIXEL_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)
VALID = {"organization_name": "The Daily Planet", "min_message_length": "0"}


@pytest.fixture
def source_instance(make_config: ConfigFactory, reader_keys: ReaderKeys) -> Iterator[Instance]:
    """Configured with a free-space floor of 5 MB, so there is a value below it to refuse."""
    extra = {"SEALDROP_MIN_FREE_BYTES": str(5 * MB)}
    with make_config.instance(submission_key=reader_keys.public_key, extra=extra) as opened:
        yield opened


@pytest.fixture
def admin(journalist: JournalistActions, boss: Journalist) -> JournalistActions:
    journalist.login(boss)
    return journalist


def row(inst: Instance) -> tuple[str | None, bool, int, int | None, int | None]:
    with inst.sessions() as session:
        found = settings.instance_settings(session)
        return (
            found.organization_name,
            found.allow_document_uploads,
            found.min_message_length,
            found.max_upload_bytes,
            found.min_free_bytes,
        )


def trail(inst: Instance) -> list[tuple[str, str]]:
    with inst.sessions() as session:
        return [(e.action, e.target) for e in reversed(audit.recent(session))]


def upload_logo(admin: JournalistActions, data: bytes, name: str = "logo.png") -> int:
    token = admin.csrf("/admin/settings")
    response = admin.client.post(
        "/admin/settings/logo",
        data={"csrf_token": token, "logo": (io.BytesIO(data), name)},
        headers=HOST,
        content_type="multipart/form-data",
    )
    return response.status_code


def test_saving_changes_each_setting_and_audits_it_by_name(
    admin: JournalistActions, source_instance: Instance
) -> None:
    config = source_instance.config
    data = {
        **VALID,
        "min_message_length": "20",
        "max_upload_mb": str(config.max_upload_bytes // MB - 1),
        "min_free_mb": str(config.min_free_bytes // MB + 1),
    }
    response = admin.post("/admin/settings", data)  # the uploads box is left unticked
    assert response.status_code == 302
    assert row(source_instance) == (
        "The Daily Planet",
        False,
        20,
        config.max_upload_bytes - MB,
        config.min_free_bytes + MB,
    )
    assert trail(source_instance) == [
        ("change setting", name)
        for name in [
            "organization_name",
            "allow_document_uploads",
            "min_message_length",
            "max_upload_bytes",
            "min_free_bytes",
        ]
    ]
    page = admin.get("/admin/settings").get_data(as_text=True)
    assert 'value="The Daily Planet"' in page and 'value="20"' in page
    again = admin.post("/admin/settings", {**data, "allow_document_uploads": "y"})
    assert again.status_code == 302
    assert trail(source_instance)[-1] == ("change setting", "allow_document_uploads")
    with source_instance.sessions() as session:
        in_force = settings.limits(session, config)
    assert in_force.max_upload_bytes == config.max_upload_bytes - MB
    assert in_force.min_free_bytes == config.min_free_bytes + MB


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"min_message_length": "-1"}, "between 0 and 10000"),
        ({"min_message_length": "10001"}, "between 0 and 10000"),
        ({"max_upload_mb": "0"}, "at most the configured"),
        ({"max_upload_mb": "999999999"}, "at most the configured"),
        ({"min_free_mb": "1"}, "at least the configured"),
        ({"min_free_mb": "999999999999"}, "at most the disk"),
        ({"organization_name": "x" * 101}, None),
        ({"organization_name": "tab\there"}, "printable"),
    ],
)
def test_out_of_bounds_values_are_a_400_and_change_nothing(
    admin: JournalistActions, source_instance: Instance, data: dict[str, str], message: str | None
) -> None:
    before = row(source_instance)
    response = admin.post("/admin/settings", {**VALID, **data})
    assert response.status_code == 400
    if message is not None:
        assert any(message in flash for flash in flashes(response)), flashes(response)
    assert row(source_instance) == before
    assert trail(source_instance) == []


def test_a_non_number_is_a_400(admin: JournalistActions) -> None:
    assert admin.post("/admin/settings", {**VALID, "min_message_length": "ten"}).status_code == 400


def test_the_free_space_floor_cannot_pass_the_disk(
    admin: JournalistActions, source_instance: Instance
) -> None:
    disk_mb = shutil.disk_usage(source_instance.store.root).total // MB
    assert (
        admin.post("/admin/settings", {**VALID, "min_free_mb": str(disk_mb + 1)}).status_code == 400
    )


def test_a_png_logo_is_kept_served_as_png_and_removable(
    admin: JournalistActions, source_instance: Instance, dana: Journalist
) -> None:
    assert admin.get("/logo.png").status_code == 404
    assert upload_logo(admin, PIXEL_PNG) == 302
    served = admin.get("/logo.png")
    assert served.status_code == 200 and served.mimetype == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.data == PIXEL_PNG
    assert 'src="/logo.png"' in admin.get("/admin/settings").get_data(as_text=True)
    assert (
        admin.post("/admin/settings/logo/remove", {}, form_from="/admin/settings").status_code
        == 302
    )
    assert admin.get("/logo.png").status_code == 404
    assert trail(source_instance) == [("change logo", ""), ("remove logo", "")]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"GIF89a" + b"\0" * 100, "must be a PNG"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", "must be a PNG"),
        (PIXEL_PNG[:8] + b"\0\0\0\rJUNK", "must be a PNG"),
        (PIXEL_PNG + b"\0" * settings.MAX_LOGO_BYTES, "larger than 256 KiB"),
    ],
    ids=["gif", "svg", "bad-header", "oversize"],
)
def test_a_logo_that_is_not_a_small_png_is_a_400(
    admin: JournalistActions, source_instance: Instance, data: bytes, message: str
) -> None:
    token = admin.csrf("/admin/settings")
    response = admin.client.post(
        "/admin/settings/logo",
        data={"csrf_token": token, "logo": (io.BytesIO(data), "logo.png")},
        headers=HOST,
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert any(message in flash for flash in flashes(response)), flashes(response)
    with source_instance.sessions() as session:
        assert settings.logo(session) is None


def test_a_logo_form_without_a_file_is_a_400(admin: JournalistActions) -> None:
    response = admin.post("/admin/settings/logo", {}, form_from="/admin/settings")
    assert response.status_code == 400 and flashes(response) == ["Choose a PNG file to upload."]


def test_a_journalist_sees_the_logo_but_cannot_change_it(
    admin: JournalistActions, journalist: JournalistActions, dana: Journalist, newsroom: object
) -> None:
    assert upload_logo(admin, PIXEL_PNG) == 302
    admin.logout()
    journalist.login(dana)
    assert journalist.get("/logo.png").status_code == 200
    assert upload_logo(journalist, PIXEL_PNG) == 403


def test_the_audit_log_shows_entries_and_that_the_chain_holds(
    admin: JournalistActions, source_instance: Instance
) -> None:
    admin.post("/admin/settings", {**VALID, "min_message_length": "3"})
    page = admin.get("/admin/audit").get_data(as_text=True)
    assert "The chain of digests holds" in page
    assert "change setting" in page and "min_message_length" in page
    with source_instance.sessions() as session:
        event = audit.recent(session)[0]
        event.target = "something else"
        session.commit()
    tampered = admin.get("/admin/audit").get_data(as_text=True)
    assert "tampered with" in tampered and "its content was changed" in tampered
