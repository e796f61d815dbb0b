"""The source's pages through the Flask test client: codenames, login, submit, replies, key."""

from __future__ import annotations

import gzip
import time

from flask.testing import FlaskClient
from sqlalchemy import select

from sealdrop.db.models import Reply, Source, Submission
from sealdrop.domain import codenames
from sealdrop.runtime.instance import Instance
from sealdrop.services import replies as reply_service
from sealdrop.services.intake import usable_reader_keys
from sealdrop.services.settings import instance_settings
from tests.harness import TODAY, ReaderKeys
from tests.project import project_version
from tests.source_interface.actions import CODENAME_PATTERN, SessionCookie, SourceActions


def only_source(inst: Instance) -> Source:
    with inst.sessions() as session:
        return session.scalars(select(Source)).one()


def send_reply(inst: Instance, text: str) -> None:
    with inst.sessions() as session:
        source = session.scalars(select(Source)).one()
        keys = usable_reader_keys(session, inst.gpg)
        reply_service.create_reply(
            session, inst.store, inst.gpg, source=source, text=text, readers=keys, today=TODAY
        )


def test_landing_page_explains_and_links_onward(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    assert 'href="/generate"' in page and 'href="/login"' in page
    assert "Tor Browser" in page and "Safest" in page


def test_generate_shows_a_fresh_seven_word_codename_each_time(client: FlaskClient) -> None:
    seen = set()
    for _ in range(3):
        match = CODENAME_PATTERN.search(client.get("/generate").get_data(as_text=True))
        assert match
        assert codenames.normalise(match.group(1)) == match.group(1)
        seen.add(match.group(1))
    assert len(seen) == 3


def test_create_requires_confirming_the_codename_was_saved(
    client: FlaskClient, source: SourceActions, source_instance: Instance
) -> None:
    page = client.get("/generate")
    shown = source.codename_from(page)
    assert 'name="codename"' not in page.get_data(as_text=True), "the form carries no codename"
    response = client.post(
        "/create", data={"csrf_token": source.csrf_from(page), "page": source.page_id_from(page)}
    )
    assert response.status_code == 400
    assert "confirm that you saved your codename" in response.get_data(as_text=True)
    assert source.codename_from(response) == shown, "the same codename, shown again"
    with source_instance.sessions() as session:
        assert session.scalars(select(Source)).all() == []


def test_a_new_source_lands_on_lookup_and_nothing_is_stored_until_it_submits(
    source: SourceActions, source_instance: Instance
) -> None:
    codename = source.create()
    page = source.client.get("/lookup")
    assert page.status_code == 200 and "There are no replies yet" in page.get_data(as_text=True)
    with source_instance.sessions() as session:
        assert session.scalars(select(Source)).all() == []
    assert [p.name for p in source_instance.store.root.iterdir()] == [".staging"]
    assert list(source_instance.store.staging.iterdir()) == []
    cookie = SessionCookie(source_instance).read(source.client)
    assert codename not in str(cookie) and "new_codenames" not in cookie

    assert source.submit("first words").status_code == 302

    stored = only_source(source_instance)
    assert stored.interaction_count == 1 and stored.secret_key
    database = source_instance.config.data_dir.joinpath("sealdrop.sqlite").read_bytes()
    assert codename.encode() not in database
    assert codename.split()[0].encode() + b" " + codename.split()[1].encode() not in database


def test_login_accepts_the_codename_however_it_is_typed(source: SourceActions) -> None:
    codename = source.begin()
    source.logout()
    assert source.client.get("/lookup").status_code == 302
    messy = "  " + "\t ".join(word.upper() for word in codename.split()) + "  "
    response = source.login(messy)
    assert response.status_code == 302 and response.headers["Location"] == "/lookup"
    assert source.client.get("/lookup").status_code == 200


def test_logout_ends_the_session(source: SourceActions) -> None:
    source.create()
    page = source.logout().get_data(as_text=True)
    assert "You are logged out" in page
    response = source.client.get("/lookup")
    assert response.status_code == 302 and response.headers["Location"] == "/login"


def test_a_codename_that_never_submitted_does_not_log_in(source: SourceActions) -> None:
    codename = source.create()
    source.logout()
    assert source.login(codename).status_code == 403


def test_two_codename_tabs_keep_the_codename_each_showed(
    source: SourceActions, source_instance: Instance
) -> None:
    """The codename written down from the first tab works, though a second tab was opened."""
    first, second = source.client.get("/generate"), source.client.get("/generate")
    written_down = source.codename_from(first)
    assert written_down != source.codename_from(second)

    assert source.confirm(first).headers["Location"] == "/lookup"
    assert source.submit("from the first tab").status_code == 302
    source.logout()

    response = source.login(written_down)
    assert response.status_code == 302 and response.headers["Location"] == "/lookup"


def test_submission_is_encrypted_to_the_newsroom(
    source: SourceActions, source_instance: Instance, reader_keys: ReaderKeys
) -> None:
    source.create()
    response = source.submit("a tip", [(b"document body", "notes.txt")])
    assert response.status_code == 302
    assert "Thank you" in " ".join(source.flashes())
    stored = only_source(source_instance)
    assert stored.interaction_count == 2
    with source_instance.sessions() as session:
        rows = session.scalars(select(Submission).order_by(Submission.interaction_count)).all()
        names = [row.filename for row in rows]
    designation = stored.journalist_designation.replace(" ", "-")
    assert names == [f"1-{designation}-msg.gpg", f"2-{designation}-doc.gz.gpg"]
    folder = source_instance.store.source_dir(stored.filesystem_id)
    assert reader_keys.decrypt(folder / names[0]) == b"a tip"
    assert gzip.decompress(reader_keys.decrypt(folder / names[1])) == b"document body"


def test_stored_files_and_their_folder_are_dated_to_the_day_only(
    source: SourceActions, source_instance: Instance
) -> None:
    source.create()
    before = time.time()
    assert source.submit("dated", [(b"document body", "notes.txt")]).status_code == 302
    after = time.time()
    folder = source_instance.store.source_dir(only_source(source_instance).filesystem_id)
    stored = sorted(folder.iterdir())
    assert len(stored) == 2
    for path in [*stored, folder]:
        mtime = path.stat().st_mtime
        assert mtime % 86400 == 0, f"{path.name}: {mtime} is not the start of a UTC day"
        assert before - 86400 < mtime <= after, path.name


def test_several_files_in_one_submission(
    source: SourceActions, source_instance: Instance, reader_keys: ReaderKeys
) -> None:
    source.create()
    files = [(b"one", "a.txt"), (b"two", "b.txt"), (b"three", "c.txt")]
    assert source.submit("", files).status_code == 302
    stored = only_source(source_instance)
    folder = source_instance.store.source_dir(stored.filesystem_id)
    contents = sorted(gzip.decompress(reader_keys.decrypt(p)) for p in folder.glob("*-doc.gz.gpg"))
    assert contents == [b"one", b"three", b"two"]


def test_replies_are_shown_decrypted_and_can_be_deleted(
    source: SourceActions, source_instance: Instance
) -> None:
    source.begin()
    send_reply(source_instance, "Thanks, we are looking into it.")
    send_reply(source_instance, "Second reply.")
    page = source.client.get("/lookup").get_data(as_text=True)
    assert "Thanks, we are looking into it." in page and "Second reply." in page
    with source_instance.sessions() as session:
        first = session.scalars(select(Reply).order_by(Reply.interaction_count)).first()
        assert first is not None
        first_uuid = first.uuid
    token = source.csrf("/lookup")
    response = source.client.post(f"/replies/{first_uuid}/delete", data={"csrf_token": token})
    assert response.status_code == 302
    page = source.client.get("/lookup").get_data(as_text=True)
    assert "Thanks, we are looking into it." not in page and "Second reply." in page
    response = source.client.post(
        "/replies/delete-all", data={"csrf_token": source.csrf("/lookup")}
    )
    assert response.status_code == 302
    assert "There are no replies yet" in source.client.get("/lookup").get_data(as_text=True)
    with source_instance.sessions() as session:
        assert all(r.deleted_by_source for r in session.scalars(select(Reply)))


def test_replies_survive_logging_out_and_back_in(
    source: SourceActions, source_instance: Instance
) -> None:
    codename = source.begin()
    send_reply(source_instance, "Please send the second page.")
    source.logout()
    source.login(codename)
    assert "Please send the second page." in source.client.get("/lookup").get_data(as_text=True)


def test_public_key_download_and_explanation(client: FlaskClient, reader_keys: ReaderKeys) -> None:
    response = client.get("/public-key")
    assert response.status_code == 200
    assert response.mimetype == "application/pgp-keys"
    assert f"{reader_keys.fingerprint}.asc" in response.headers["Content-Disposition"]
    assert "BEGIN PGP PUBLIC KEY BLOCK" in response.get_data(as_text=True)
    assert "PRIVATE" not in response.get_data(as_text=True)
    assert reader_keys.fingerprint in client.get("/why-public-key").get_data(as_text=True)


def test_metadata_names_the_instance_key_and_version(
    client: FlaskClient, reader_keys: ReaderKeys
) -> None:
    data = client.get("/metadata").get_json()
    assert data["gpg_fpr"] == reader_keys.fingerprint
    assert data["instance_name"] == "Sealdrop"
    assert data["sd_version"] == project_version()
    assert data["supported_languages"] == ["en", "fr"]


def test_with_uploads_turned_off_only_messages_are_taken(
    source: SourceActions, source_instance: Instance, reader_keys: ReaderKeys
) -> None:
    with source_instance.sessions() as session:
        instance_settings(session).allow_document_uploads = False
        session.commit()
    source.create()
    page = source.client.get("/lookup").get_data(as_text=True)
    assert 'type="file"' not in page and "messages only" in page
    assert source.submit("words only", [(b"FILE-BYTES", "f.txt")]).status_code == 302
    folder = source_instance.store.source_dir(only_source(source_instance).filesystem_id)
    [message] = sorted(folder.iterdir())
    assert message.name.endswith("-msg.gpg") and reader_keys.decrypt(message) == b"words only"
    assert source.client.get("/metadata").get_json()["allow_document_uploads"] is False
