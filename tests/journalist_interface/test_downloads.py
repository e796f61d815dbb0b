"""Downloading bundles from the newsroom pages: a source's conversation or several sources',
streamed still encrypted, readable by the bundle reader and the reader machine's key."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from sealdrop.db.models import Journalist, Submission
from sealdrop.runtime.instance import Instance
from sealdrop.services import conversations
from sealdrop.services.intake import require_open
from tests.harness import ReaderKeys, source_with_a_message
from tests.journalist_interface.actions import JournalistActions


def a_source(inst: Instance, text: str) -> str:
    with inst.sessions() as session:
        to = require_open(session, inst.store, inst.gpg, config=inst.config, incoming_bytes=0)
        login, _ = source_with_a_message(inst, session, text, recipients=to)
        return login.source.uuid


def designation(inst: Instance, uuid: str) -> str:
    with inst.sessions() as session:
        return conversations.source_by_uuid(session, uuid).journalist_designation


def test_a_source_bundle_holds_its_messages_encrypted_and_marks_them_read(
    journalist: JournalistActions,
    dana: Journalist,
    source_instance: Instance,
    reader_keys: ReaderKeys,
    tmp_path: Path,
) -> None:
    uuid = a_source(source_instance, "the documents are in the basement")
    journalist.login(dana)
    response = journalist.post(f"/sources/{uuid}/bundle", {}, form_from=f"/sources/{uuid}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data()
    assert b"basement" not in body
    name = designation(source_instance, uuid)
    with zipfile.ZipFile(io.BytesIO(body)) as bundle:
        [entry] = [n for n in bundle.namelist() if n.endswith("-msg.gpg")]
        assert entry.startswith(f"{name}/1-{name.replace(' ', '-')}-msg")
        assert "manifest.json" in bundle.namelist()
        (tmp_path / "m.gpg").write_bytes(bundle.read(entry))
    assert reader_keys.decrypt(tmp_path / "m.gpg") == b"the documents are in the basement"
    with source_instance.sessions() as session:
        assert all(row.is_read for row in session.query(Submission))


def test_the_list_downloads_the_selected_sources_in_one_bundle(
    journalist: JournalistActions, dana: Journalist, source_instance: Instance
) -> None:
    first, second = a_source(source_instance, "one"), a_source(source_instance, "two")
    a_source(source_instance, "not chosen")
    journalist.login(dana)
    token = journalist.csrf("/")
    response = journalist.client.post(
        "/sources/bulk",
        data={"csrf_token": token, "action": "download", "source": [first, second]},
        headers={"Host": "127.0.0.1"},
    )
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.get_data())) as bundle:
        folders = {name.split("/")[0] for name in bundle.namelist() if "/" in name}
    assert folders == {designation(source_instance, first), designation(source_instance, second)}


def test_a_bundle_of_a_vanished_source_is_a_404_page(
    journalist: JournalistActions, dana: Journalist, source_instance: Instance
) -> None:
    uuid = a_source(source_instance, "hello")
    journalist.login(dana)
    token = journalist.csrf("/")
    response = journalist.client.post(
        "/sources/bulk",
        data={"csrf_token": token, "action": "download", "source": [uuid, "gone"]},
        headers={"Host": "127.0.0.1"},
    )
    assert response.status_code == 404
    assert "no longer exist" in response.get_data(as_text=True)


def test_a_bundle_needs_the_form_token(
    journalist: JournalistActions, dana: Journalist, source_instance: Instance
) -> None:
    uuid = a_source(source_instance, "hello")
    journalist.login(dana)
    response = journalist.client.post(f"/sources/{uuid}/bundle", headers={"Host": "127.0.0.1"})
    assert response.status_code == 400
