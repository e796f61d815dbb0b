"""Getting a codename and logging in: the codename comes from the session, and the throttles."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from sealdrop.db.models import Source
from sealdrop.domain import codenames
from sealdrop.runtime.instance import Instance
from tests.source_interface.actions import SiteFactory, SourceActions, flashes_on

ALL_ABACUS = " ".join(["abacus"] * 7)  # seven words from the list, and nobody's codename
TOO_OLD = "Your page was too old. Here is a new codename."


def source_count(inst: Instance) -> int:
    with inst.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(Source)) or 0)


def logs_in(response: TestResponse) -> bool:
    return response.status_code == 302 and response.headers.get("Location") == "/lookup"


def another_client(source: SourceActions) -> SourceActions:
    """A second visitor of the same site, with a cookie jar of their own."""
    return SourceActions(source.client.application.test_client())


# -- creating a source ---------------------------------------------------------------------------


def test_a_posted_codename_is_ignored_the_shown_one_is_created(
    client: FlaskClient, source: SourceActions, source_instance: Instance
) -> None:
    page = client.get("/generate")
    shown = source.codename_from(page)
    response = source.confirm(page, codename=ALL_ABACUS)
    assert logs_in(response)
    assert source.submit("first").status_code == 302
    assert source_count(source_instance) == 1
    source.logout()
    assert source.login(ALL_ABACUS).status_code == 403
    response = source.login(shown)
    assert logs_in(response)
    assert source.client.get("/lookup").status_code == 200


def test_create_without_visiting_generate_sends_the_source_to_get_a_codename(
    client: FlaskClient, source: SourceActions, source_instance: Instance
) -> None:
    token = source.csrf("/login")  # a valid form token, but no codename in the session
    data = {"saved": "y", "csrf_token": token, "codename": ALL_ABACUS}
    response = client.post("/create", data=data)
    assert response.status_code == 302 and response.headers["Location"] == "/generate"
    assert source_count(source_instance) == 0
    page = client.get("/generate")
    assert flashes_on(page) == [TOO_OLD]
    assert source.codename_from(page) != ALL_ABACUS


def test_a_codename_is_used_for_one_source_only(
    client: FlaskClient, source: SourceActions, source_instance: Instance
) -> None:
    page = client.get("/generate")
    assert logs_in(source.confirm(page))
    # The same form sent again (a fresh token): the session no longer holds that page's codename.
    response = client.post(
        "/create",
        data={"saved": "y", "csrf_token": source.csrf("/login"), "page": source.page_id_from(page)},
    )
    assert response.status_code == 302 and response.headers["Location"] == "/generate"
    assert source_count(source_instance) == 0


@pytest.mark.slow
def test_many_new_codenames_at_once_cost_nothing_and_are_never_refused(
    source: SourceActions, source_instance: Instance
) -> None:
    """No global budget of new sources: 50 newcomers in a row all get in, and store nothing."""
    newcomers = [another_client(source) for _ in range(50)]
    assert all(logs_in(one.confirm(one.client.get("/generate"))) for one in newcomers)
    assert source_count(source_instance) == 0
    assert [p.name for p in source_instance.store.root.iterdir()] == [".staging"]
    assert list(source_instance.store.staging.iterdir()) == []


# -- logging in ----------------------------------------------------------------------------------


def test_repeated_wrong_codenames_are_throttled(make_site: SiteFactory) -> None:
    with make_site(extra={"SEALDROP_SOURCE_FAILED_LOGINS_PER_CODENAME": "3"}) as (source, _):
        codename = source.begin()
        source.logout()
        guesser = another_client(source)
        assert [guesser.login(ALL_ABACUS).status_code for _ in range(4)] == [403, 403, 403, 429]
        assert "Wait a minute" in guesser.login(ALL_ABACUS).get_data(as_text=True)
        # The limit is per codename: another wrong one is still only wrong, the right one works.
        assert guesser.login(codenames.generate()).status_code == 403
        response = source.login(codename)
        assert logs_in(response)


def test_past_the_global_limit_wrong_codenames_get_429(make_site: SiteFactory) -> None:
    with make_site(extra={"SEALDROP_SOURCE_FAILED_LOGINS_GLOBAL": "3"}) as (source, _):
        statuses = [source.login(codenames.generate()).status_code for _ in range(5)]
        assert statuses == [403, 403, 403, 429, 429]
        assert "Wait a minute" in source.login(codenames.generate()).get_data(as_text=True)


def test_a_correct_codename_is_never_refused_for_others_failures(make_site: SiteFactory) -> None:
    with make_site(extra={"SEALDROP_SOURCE_FAILED_LOGINS_GLOBAL": "2"}) as (source, _):
        codename = source.begin()
        source.logout()
        guesser = another_client(source)
        statuses = [guesser.login(codenames.generate()).status_code for _ in range(4)]
        assert statuses == [403, 403, 429, 429], "the global limit is reached"
        response = source.login(codename)
        assert logs_in(response)
        assert source.client.get("/lookup").status_code == 200
