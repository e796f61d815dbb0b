"""The v1 sources list is served from a per-process copy while nothing changed, and rebuilt
after every kind of write, whichever process made it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import update

from journalist_interface import JournalistApp
from sealdrop.db.models import Source
from sealdrop.runtime.instance import Instance
from sealdrop.serving.worker import warm_up_app
from tests.harness import ReaderKeys, source_with_a_message
from tests.journalist_interface.api.client import ApiClient, encrypt_reply
from tests.journalist_interface.api.conftest import Seeded

Listing = list[dict[str, object]]


def listed(api: ApiClient) -> Listing:
    return api.json("GET", "/api/v1/sources")["sources"]  # type: ignore[no-any-return]


def one_by_one(api: ApiClient, listing: Listing) -> Listing:
    """The same sources read through the per-source endpoint, which has no cache."""
    return [api.json("GET", str(source["url"])) for source in listing]


def test_only_sources_whose_version_moved_are_read_again(
    api: ApiClient, seeded: Seeded, instance: Instance, reader_keys: ReaderKeys
) -> None:
    """Shown by a change the versions cannot see (a raw UPDATE of a listed column): the body
    is served as it was until something else changes, and then only the other entry moves."""
    with instance.sessions() as session:
        login, _ = source_with_a_message(instance, session, "more", recipients=[reader_keys.key])
        other = login.source.uuid
    first = api.get("/api/v1/sources")
    assert first.status_code == 200 and first.mimetype == "application/json"
    with instance.sessions() as session:
        session.execute(
            update(Source).where(Source.uuid == seeded.source_uuid).values(is_starred=True)
        )
        session.commit()
    assert api.get("/api/v1/sources").data == first.data
    api.json("POST", f"/api/v1/sources/{other}/add_star", status=201)
    starred = {source["uuid"]: source["is_starred"] for source in listed(api)}
    assert starred == {other: True, seeded.source_uuid: False}
    assert api.json("GET", f"/api/v1/sources/{seeded.source_uuid}")["is_starred"] is True


def test_the_list_is_never_stale_after_a_write(
    api: ApiClient, seeded: Seeded, instance: Instance, reader_keys: ReaderKeys
) -> None:
    url = f"/api/v1/sources/{seeded.source_uuid}"

    def reply() -> None:
        public = api.json("GET", url)["key"]["public"]
        armored = encrypt_reply("We got it.", [public, reader_keys.public_key])
        api.json("POST", f"{url}/replies", {"reply": armored}, status=201)

    other: list[str] = []

    def another_source() -> None:
        # Written by another process in production: the source interface.
        with instance.sessions() as session:
            login, message = source_with_a_message(
                instance, session, "more", recipients=[reader_keys.key]
            )
            other.append(f"/api/v1/sources/{login.source.uuid}/submissions/{message.uuid}")

    writes: dict[str, Callable[[], object]] = {
        "star": lambda: api.json("POST", f"{url}/add_star", status=201),
        "unstar": lambda: api.json("DELETE", f"{url}/remove_star"),
        "reply": reply,
        "a new source": another_source,
        "its message deleted": lambda: api.json("DELETE", other[0]),
        "conversation deleted": lambda: api.json("DELETE", f"{url}/conversation"),
        "source deleted": lambda: api.json("DELETE", url),
    }
    for name, write in writes.items():
        before = listed(api)
        assert listed(api) == before == one_by_one(api, before), name
        write()
        after = listed(api)
        assert after != before, f"stale after: {name}"
        assert after == one_by_one(api, after), name


def test_a_worker_warmed_up_answers_its_first_list_from_what_it_built(
    app: JournalistApp, api: ApiClient, seeded: Seeded, instance: Instance
) -> None:
    """What the serving worker runs once it listens (`warm_up_app`), shown as above: a change the
    versions cannot see is not in the first answer, so that answer was built beforehand."""
    warm_up_app(app)
    with instance.sessions() as session:
        starred = update(Source).where(Source.uuid == seeded.source_uuid).values(is_starred=True)
        session.execute(starred)
        session.commit()
    [source] = listed(api)
    assert source["uuid"] == seeded.source_uuid and source["is_starred"] is False
    assert api.json("GET", f"/api/v1/sources/{seeded.source_uuid}")["is_starred"] is True


def test_warming_up_never_stops_a_worker(caplog: pytest.LogCaptureFixture) -> None:
    class Broken:
        def warm_up(self) -> None:
            raise OSError("the database is not there yet")

    warm_up_app(object())  # an app with nothing to warm: the source interface
    warm_up_app(Broken())
    assert [record.getMessage() for record in caplog.records] == ["warming up failed: OSError"]
