"""A source's page: replying (encrypted on the server, readable by the newsroom's reader), who
replied, starring; and the sources list's bulk star and unstar."""

from __future__ import annotations

from sealdrop.db.models import Journalist, Reply
from sealdrop.runtime.instance import Instance
from sealdrop.services import conversations, journalists
from tests.harness import ReaderKeys, a_source
from tests.journalist_interface.actions import HOST, JournalistActions, flashes


def replies_of(inst: Instance, source_uuid: str) -> list[Reply]:
    with inst.sessions() as session:
        found = conversations.source_by_uuid(session, source_uuid)
        rows = list(found.replies)
        session.expunge_all()
        return rows


def starred(inst: Instance, source_uuid: str) -> bool:
    with inst.sessions() as session:
        return conversations.source_by_uuid(session, source_uuid).is_starred


def test_a_reply_is_stored_encrypted_and_the_reader_can_decrypt_it(
    journalist: JournalistActions,
    dana: Journalist,
    source_instance: Instance,
    reader_keys: ReaderKeys,
) -> None:
    uuid = a_source(source_instance)
    journalist.login(dana)
    text = "Thank you. Can you tell us more about the second document?"
    response = journalist.post(
        f"/sources/{uuid}/reply", {"text": text}, form_from=f"/sources/{uuid}"
    )
    assert response.status_code == 302 and response.headers["Location"] == f"/sources/{uuid}"
    [reply] = replies_of(source_instance, uuid)
    assert reply.journalist_id == dana.id
    with source_instance.sessions() as session:
        source = conversations.source_by_uuid(session, uuid)
        path = source_instance.store.path_of(source.filesystem_id, reply.filename)
    stored = path.read_bytes()
    assert text.encode() not in stored
    assert reader_keys.decrypt(path).decode() == text
    page = journalist.get(f"/sources/{uuid}").get_data(as_text=True)
    assert "reply by dana" in page and reply.filename in page


def test_a_reply_from_a_deleted_journalist_says_so(
    journalist: JournalistActions,
    dana: Journalist,
    boss: Journalist,
    source_instance: Instance,
) -> None:
    uuid = a_source(source_instance)
    journalist.login(dana)
    journalist.post(f"/sources/{uuid}/reply", {"text": "hello"}, form_from=f"/sources/{uuid}")
    journalist.logout()
    with source_instance.sessions() as session:
        journalists.remove(session, journalists.by_uuid(session, dana.uuid))
        session.commit()
    journalist.login(boss)
    page = journalist.get(f"/sources/{uuid}").get_data(as_text=True)
    assert "reply by a deleted journalist" in page


def test_an_empty_reply_is_a_400_and_stores_nothing(
    journalist: JournalistActions, dana: Journalist, source_instance: Instance
) -> None:
    uuid = a_source(source_instance)
    journalist.login(dana)
    for text in ["", "   \n  "]:
        response = journalist.post(
            f"/sources/{uuid}/reply", {"text": text}, form_from=f"/sources/{uuid}"
        )
        assert response.status_code == 400
        assert flashes(response)[0] in {
            "Write a reply (at most 100,000 characters) before sending it.",
            "A reply needs some text.",
        }
    assert replies_of(source_instance, uuid) == []


def test_a_reply_needs_a_csrf_token_and_a_known_source(
    journalist: JournalistActions, dana: Journalist, source_instance: Instance
) -> None:
    uuid = a_source(source_instance)
    journalist.login(dana)
    refused = journalist.client.post(f"/sources/{uuid}/reply", data={"text": "hi"}, headers=HOST)
    assert refused.status_code == 400
    unknown = journalist.post(
        "/sources/00000000-0000-4000-8000-000000000000/reply", {"text": "hi"}, form_from="/"
    )
    assert unknown.status_code == 404
    assert replies_of(source_instance, uuid) == []


def test_starring_and_unstarring_from_the_source_page(
    journalist: JournalistActions, dana: Journalist, source_instance: Instance
) -> None:
    uuid = a_source(source_instance)
    journalist.login(dana)
    page = f"/sources/{uuid}"
    assert journalist.post(f"{page}/star", {"starred": "1"}, form_from=page).status_code == 302
    assert starred(source_instance, uuid)
    assert "Unstar this source" in journalist.get(page).get_data(as_text=True)
    assert journalist.post(f"{page}/star", {"starred": "0"}, form_from=page).status_code == 302
    assert not starred(source_instance, uuid)
    assert journalist.post(f"{page}/star", {"starred": "yes"}, form_from=page).status_code == 400


def test_bulk_star_and_unstar_from_the_list(
    journalist: JournalistActions, dana: Journalist, source_instance: Instance
) -> None:
    first, second, third = (a_source(source_instance, text) for text in ("a", "b", "c"))
    journalist.login(dana)
    token = journalist.csrf("/")
    data = {"csrf_token": token, "action": "star", "source": [first, third, "not-a-source"]}
    response = journalist.client.post("/sources/bulk", data=data, headers=HOST)
    assert response.status_code == 302
    assert [starred(source_instance, u) for u in (first, second, third)] == [True, False, True]
    listing = journalist.get("/")
    html = listing.get_data(as_text=True)
    assert flashes(listing) == ["2 sources starred."]
    # Starred first: the unstarred source comes after both starred ones.
    assert html.index(second) > max(html.index(first), html.index(third))
    data = {"csrf_token": token, "action": "unstar", "source": [third]}
    assert journalist.client.post("/sources/bulk", data=data, headers=HOST).status_code == 302
    assert [starred(source_instance, u) for u in (first, second, third)] == [True, False, False]


def test_bulk_refuses_no_selection_an_unknown_action_and_no_token(
    journalist: JournalistActions, dana: Journalist, source_instance: Instance
) -> None:
    uuid = a_source(source_instance)
    journalist.login(dana)
    token = journalist.csrf("/")
    empty = journalist.client.post(
        "/sources/bulk", data={"csrf_token": token, "action": "star"}, headers=HOST
    )
    assert empty.status_code == 400
    assert "Select at least one source" in empty.get_data(as_text=True)
    for action in ["burn", ""]:
        data = {"csrf_token": token, "action": action, "source": [uuid]}
        assert journalist.client.post("/sources/bulk", data=data, headers=HOST).status_code == 400
    data = {"action": "star", "source": [uuid]}
    assert journalist.client.post("/sources/bulk", data=data, headers=HOST).status_code == 400
    assert not starred(source_instance, uuid)


def test_the_list_has_a_labelled_checkbox_per_source(
    journalist: JournalistActions, dana: Journalist, source_instance: Instance
) -> None:
    uuid = a_source(source_instance)
    journalist.login(dana)
    html = journalist.get("/").get_data(as_text=True)
    assert f'name="source" value="{uuid}"' in html and 'aria-label="Select ' in html
    assert 'name="action" value="star"' in html and "<legend>" in html
