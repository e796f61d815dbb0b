"""The newsroom's actions on sources and items: mark seen or unseen, download the chosen items,
delete them or a whole source after a confirmation page, each deletion audited."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from sqlalchemy import select
from werkzeug.test import TestResponse

from sealdrop.db.models import Journalist, SeenSubmission, Source, Submission
from sealdrop.runtime.instance import Instance
from sealdrop.services.intake import require_open
from tests.harness import source_with_a_message
from tests.journalist_interface.actions import HOST, JournalistActions, flashes
from tests.sealdrop.services.journalist_helpers import audit_trail


def a_source(inst: Instance, text: str) -> tuple[str, str]:
    """A new source with one message: (source uuid, message uuid)."""
    with inst.sessions() as session:
        to = require_open(session, inst.store, inst.gpg, config=inst.config, incoming_bytes=0)
        login, message = source_with_a_message(inst, session, text, recipients=to)
        return login.source.uuid, message.uuid


def stored_path(inst: Instance, item_uuid: str) -> Path:
    with inst.sessions() as session:
        row = session.scalar(select(Submission).where(Submission.uuid == item_uuid))
        assert row is not None
        return inst.store.path_of(row.source.filesystem_id, row.filename)


def designation_of(inst: Instance, source_uuid: str) -> str:
    with inst.sessions() as session:
        found = session.scalar(select(Source).where(Source.uuid == source_uuid))
        assert found is not None
        return found.journalist_designation


def source_exists(inst: Instance, source_uuid: str) -> bool:
    with inst.sessions() as session:
        return session.scalar(select(Source.id).where(Source.uuid == source_uuid)) is not None


def item_exists(inst: Instance, item_uuid: str) -> bool:
    with inst.sessions() as session:
        return session.scalar(select(Submission.id).where(Submission.uuid == item_uuid)) is not None


def seen_by(inst: Instance, journalist: Journalist) -> int:
    with inst.sessions() as session:
        marks = session.scalars(
            select(SeenSubmission).where(SeenSubmission.journalist_id == journalist.id)
        )
        return len(list(marks))


def send(
    journalist: JournalistActions, path: str, data: dict[str, object], *, form_page: str = "/"
) -> tuple[int, str, TestResponse]:
    """POST with a fresh token: status, the body as text (a zip's garbled), the response."""
    token = journalist.csrf(form_page)
    response = journalist.client.post(path, data={"csrf_token": token, **data}, headers=HOST)
    return response.status_code, response.get_data().decode(errors="replace"), response


def test_the_list_marks_sources_seen_then_unseen_for_the_journalist_only(
    journalist: JournalistActions, dana: Journalist, boss: Journalist, source_instance: Instance
) -> None:
    first, _ = a_source(source_instance, "one")
    second, _ = a_source(source_instance, "two")
    journalist.login(dana)
    status, _, _ = send(journalist, "/sources/bulk", {"action": "seen", "source": [first]})
    assert status == 302
    assert seen_by(source_instance, dana) == 1
    send(journalist, "/sources/bulk", {"action": "seen", "source": [first, second]})
    assert seen_by(source_instance, dana) == 2
    # Unread counts on the list are "read" (downloaded): seeing a message does not read it.
    assert "1 of 1" in journalist.get("/").get_data(as_text=True)
    status, _, _ = send(journalist, "/sources/bulk", {"action": "unseen", "source": [second]})
    assert status == 302
    assert seen_by(source_instance, dana) == 1
    assert seen_by(source_instance, boss) == 0


def test_a_bulk_delete_asks_first_then_deletes_the_sources_and_their_files(
    journalist: JournalistActions, dana: Journalist, source_instance: Instance
) -> None:
    first, first_message = a_source(source_instance, "one")
    second, _ = a_source(source_instance, "two")
    kept, _ = a_source(source_instance, "stays")
    names = [designation_of(source_instance, uuid) for uuid in (first, second)]
    path = stored_path(source_instance, first_message)
    assert path.is_file()
    journalist.login(dana)
    status, page, _ = send(
        journalist, "/sources/bulk", {"action": "delete", "source": [first, second]}
    )
    assert status == 200
    assert all(name in page for name in names)
    assert 'name="confirm" value="yes"' in page
    assert source_exists(source_instance, first) and path.is_file()
    assert audit_trail(source_instance) == []
    status, _, _ = send(
        journalist,
        "/sources/bulk",
        {"action": "delete", "source": [first, second], "confirm": "yes"},
    )
    assert status == 302
    assert not source_exists(source_instance, first)
    assert not source_exists(source_instance, second)
    assert source_exists(source_instance, kept)
    assert not path.exists() and not path.parent.exists()
    assert sorted(audit_trail(source_instance)) == sorted(
        ("dana", "delete source", name) for name in names
    )
    listed = journalist.get("/")
    assert any("2 sources deleted" in text for text in flashes(listed))
    assert names[0] not in listed.get_data(as_text=True)


def test_the_source_page_downloads_the_selected_items_and_they_count_as_read(
    journalist: JournalistActions, dana: Journalist, source_instance: Instance
) -> None:
    uuid, message = a_source(source_instance, "the plans")
    journalist.login(dana)
    page = journalist.get(f"/sources/{uuid}").get_data(as_text=True)
    assert f'name="item" value="{message}"' in page
    assert "1 of 1" in journalist.get("/").get_data(as_text=True)
    status, _, response = send(
        journalist,
        f"/sources/{uuid}/items",
        {"action": "download", "item": [message]},
        form_page=f"/sources/{uuid}",
    )
    assert status == 200
    body = response.get_data()
    assert b"the plans" not in body
    with zipfile.ZipFile(io.BytesIO(body)) as bundle:
        assert any(name.endswith("-msg.gpg") for name in bundle.namelist())
    assert "0 of 1" in journalist.get("/").get_data(as_text=True)


def test_the_source_page_marks_the_selected_items_seen(
    journalist: JournalistActions, dana: Journalist, source_instance: Instance
) -> None:
    uuid, message = a_source(source_instance, "hello")
    journalist.login(dana)
    status, _, _ = send(
        journalist,
        f"/sources/{uuid}/items",
        {"action": "seen", "item": [message]},
        form_page=f"/sources/{uuid}",
    )
    assert status == 302
    assert seen_by(source_instance, dana) == 1


def test_deleting_selected_items_asks_first_then_removes_rows_and_files(
    journalist: JournalistActions, dana: Journalist, source_instance: Instance
) -> None:
    uuid, message = a_source(source_instance, "secret")
    path = stored_path(source_instance, message)
    name = designation_of(source_instance, uuid)
    journalist.login(dana)
    data: dict[str, object] = {"action": "delete", "item": [message]}
    status, page, _ = send(journalist, f"/sources/{uuid}/items", data, form_page=f"/sources/{uuid}")
    assert status == 200 and "Delete 1 item" in page
    assert item_exists(source_instance, message) and path.is_file()
    status, _, _ = send(
        journalist,
        f"/sources/{uuid}/items",
        {**data, "confirm": "yes"},
        form_page=f"/sources/{uuid}",
    )
    assert status == 302
    assert not item_exists(source_instance, message)
    assert not path.exists()
    assert source_exists(source_instance, uuid)
    assert audit_trail(source_instance) == [("dana", "delete message", name)]
    assert "0 of 0" in journalist.get("/").get_data(as_text=True)


def test_deleting_a_source_from_its_page_asks_first_then_returns_to_the_list(
    journalist: JournalistActions, dana: Journalist, source_instance: Instance
) -> None:
    uuid, message = a_source(source_instance, "everything")
    path = stored_path(source_instance, message)
    name = designation_of(source_instance, uuid)
    journalist.login(dana)
    assert f"/sources/{uuid}/delete" in journalist.get(f"/sources/{uuid}").get_data(as_text=True)
    status, page, _ = send(journalist, f"/sources/{uuid}/delete", {}, form_page=f"/sources/{uuid}")
    assert status == 200 and f"Delete {name}?" in page
    assert source_exists(source_instance, uuid) and path.is_file()
    status, _, response = send(
        journalist, f"/sources/{uuid}/delete", {"confirm": "yes"}, form_page=f"/sources/{uuid}"
    )
    assert status == 302
    assert response.headers["Location"].endswith("/")
    assert not source_exists(source_instance, uuid)
    assert not path.exists()
    assert audit_trail(source_instance) == [("dana", "delete source", name)]
    assert any(name in text for text in flashes(journalist.get("/")))


def test_missing_csrf_is_a_400_and_deletes_nothing(
    journalist: JournalistActions, dana: Journalist, source_instance: Instance
) -> None:
    uuid, message = a_source(source_instance, "hi")
    journalist.login(dana)
    for path, data in [
        ("/sources/bulk", {"action": "delete", "source": [uuid], "confirm": "yes"}),
        (f"/sources/{uuid}/items", {"action": "delete", "item": [message], "confirm": "yes"}),
        (f"/sources/{uuid}/delete", {"confirm": "yes"}),
    ]:
        response = journalist.client.post(path, data=data, headers=HOST)
        assert response.status_code == 400, path
    assert item_exists(source_instance, message)


def test_unknown_uuids_are_a_404_page_and_nothing_is_done(
    journalist: JournalistActions, dana: Journalist, source_instance: Instance
) -> None:
    uuid, message = a_source(source_instance, "hi")
    _, other_message = a_source(source_instance, "other")
    journalist.login(dana)
    attempts: list[tuple[str, dict[str, object]]] = [
        ("/sources/bulk", {"action": "delete", "source": [uuid, "nope"], "confirm": "yes"}),
        ("/sources/bulk", {"action": "seen", "source": ["nope"]}),
        (f"/sources/{uuid}/items", {"action": "delete", "item": ["nope"], "confirm": "yes"}),
        # An item of another source is not this conversation's.
        (f"/sources/{uuid}/items", {"action": "seen", "item": [other_message]}),
        ("/sources/nope/delete", {"confirm": "yes"}),
        ("/sources/nope/items", {"action": "seen", "item": [message]}),
    ]
    for path, data in attempts:
        status, page, _ = send(journalist, path, data)
        assert status == 404, path
        assert "<form" not in page or "Not Found" in page
    assert item_exists(source_instance, message) and item_exists(source_instance, other_message)
    assert seen_by(source_instance, dana) == 0
    assert audit_trail(source_instance) == []


def test_nothing_selected_is_a_400_with_a_clear_message(
    journalist: JournalistActions, dana: Journalist, source_instance: Instance
) -> None:
    uuid, _ = a_source(source_instance, "hi")
    journalist.login(dana)
    for action in ["seen", "unseen", "delete"]:
        status, page, _ = send(journalist, "/sources/bulk", {"action": action})
        assert status == 400 and "Select at least one source" in page
    for action in ["download", "seen", "delete"]:
        status, page, _ = send(journalist, f"/sources/{uuid}/items", {"action": action})
        assert status == 400 and "Select at least one message, file or reply" in page


def test_a_visitor_not_logged_in_is_sent_to_the_login_page(
    journalist: JournalistActions, source_instance: Instance
) -> None:
    uuid, message = a_source(source_instance, "hi")
    for path, data in [
        ("/sources/bulk", {"action": "delete", "source": [uuid], "confirm": "yes"}),
        (f"/sources/{uuid}/items", {"action": "delete", "item": [message], "confirm": "yes"}),
        (f"/sources/{uuid}/delete", {"confirm": "yes"}),
    ]:
        response = journalist.client.post(path, data=data, headers=HOST)
        assert response.status_code in (302, 303), path
        assert "/login" in response.headers["Location"]
    assert item_exists(source_instance, message)
