"""The sources list and a source's page, as a logged-in journalist sees them."""

from __future__ import annotations

from sealdrop.db.models import Journalist
from sealdrop.runtime.instance import Instance
from sealdrop.services import conversations
from tests.harness import a_source
from tests.journalist_interface.actions import JournalistActions


def test_the_list_shows_each_source_with_its_counts(
    journalist: JournalistActions, dana: Journalist, source_instance: Instance
) -> None:
    uuid = a_source(source_instance)
    journalist.login(dana)
    page = journalist.get("/").get_data(as_text=True)
    with source_instance.sessions() as session:
        designation = conversations.source_by_uuid(session, uuid).journalist_designation
    assert designation in page and "1 of 1" in page and f"/sources/{uuid}" in page


def test_the_filter_narrows_the_list_and_treats_wildcards_literally(
    journalist: JournalistActions, dana: Journalist, source_instance: Instance
) -> None:
    a_source(source_instance)
    journalist.login(dana)
    assert "No source matches “%”" in journalist.get("/?q=%25").get_data(as_text=True)
    assert "1 source," in journalist.get("/?q=+").get_data(as_text=True)


def test_a_source_page_lists_its_conversation(
    journalist: JournalistActions, dana: Journalist, source_instance: Instance
) -> None:
    uuid = a_source(source_instance)
    journalist.login(dana)
    page = journalist.get(f"/sources/{uuid}").get_data(as_text=True)
    assert "message from the source" in page and "-msg.gpg" in page


def test_an_unknown_source_is_a_404_page(journalist: JournalistActions, dana: Journalist) -> None:
    journalist.login(dana)
    response = journalist.get("/sources/00000000-0000-4000-8000-000000000000")
    assert response.status_code == 404 and "There is no such source." in response.get_data(
        as_text=True
    )


def test_pages_carry_the_security_headers_and_refuse_other_hosts(
    journalist: JournalistActions,
) -> None:
    response = journalist.get("/login")
    assert "script-src" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    elsewhere = journalist.client.get("/login", headers={"Host": "example.com"})
    assert elsewhere.status_code == 421


def test_a_long_list_is_paged(
    journalist: JournalistActions, dana: Journalist, source_instance: Instance
) -> None:
    uuids = [a_source(source_instance, f"message {n}") for n in range(3)]
    with source_instance.sessions() as session:
        page = conversations.sources_page(session, limit=2)
        assert (page.total, len(page.summaries)) == (3, 2)
        rest = conversations.sources_page(session, offset=2, limit=2)
        assert {s.uuid for s in page.summaries + rest.summaries} == set(uuids)
        assert rest.summaries[0].messages == 1
    journalist.login(dana)
    assert "3 sources, starred first" in journalist.get("/").get_data(as_text=True)
    beyond = journalist.get("/?start=50").get_data(as_text=True)
    assert "No more sources" in beyond
    assert "3 sources" in journalist.get("/?start=oops").get_data(as_text=True)
