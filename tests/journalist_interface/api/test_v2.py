"""v2 sync: the index with its version (304 when unchanged), records by uuid, and events applied
once each and only to the version the client saw."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from flask import Flask
from sqlalchemy import update

from journalist_interface import JournalistApp
from sealdrop.db.models import IndexState, Source
from sealdrop.runtime.instance import Instance
from sealdrop.services import versions
from tests.harness import ReaderKeys
from tests.journalist_interface.api.client import ApiClient, encrypt_reply
from tests.journalist_interface.api.conftest import Seeded
from tests.sealdrop.services.journalist_helpers import audit_trail

PREFER = {"Prefer": "securedrop=4"}


def index(api: ApiClient) -> tuple[str, dict[str, Any]]:
    response = api.get("/api/v2/index", headers=PREFER)
    assert response.status_code == 200
    etag = response.headers["ETag"]
    body = response.get_json()
    response.close()
    return etag, body


def data(api: ApiClient, **body: Any) -> dict[str, Any]:
    return api.json("POST", "/api/v2/data", body)  # type: ignore[no-any-return]


def event(kind: str, target: dict[str, str], event_id: str = "", **values: Any) -> dict[str, Any]:
    return {
        "id": event_id or str(uuid.uuid4().int)[:18],
        "type": kind,
        "target": target,
        "data": values,
    }


def test_index_and_304_until_something_changes(api: ApiClient, seeded: Seeded) -> None:
    etag, body = index(api)
    assert etag.startswith('"') and etag.endswith('"')
    assert set(body) == {"sources", "items", "journalists"}
    assert list(body["sources"]) == [seeded.source_uuid]
    assert list(body["items"]) == [seeded.message_uuid]
    unchanged = api.get("/api/v2/index", headers={**PREFER, "If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.get_data() == b""
    assert unchanged.headers["ETag"] == etag
    api.json("POST", f"/api/v1/sources/{seeded.source_uuid}/add_star", status=201)
    changed = api.get("/api/v2/index", headers={**PREFER, "If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    after = changed.get_json()
    assert after["sources"][seeded.source_uuid] != body["sources"][seeded.source_uuid]
    assert after["items"] == body["items"]


def test_data_gives_metadata_and_null_for_the_gone(api: ApiClient, seeded: Seeded) -> None:
    _, body = index(api)
    gone = str(uuid.uuid4())
    [journalist_uuid] = body["journalists"]
    answer = data(
        api,
        sources=[seeded.source_uuid, gone],
        items=[seeded.message_uuid, gone],
        journalists=[journalist_uuid, gone],
    )
    source = answer["sources"][seeded.source_uuid]
    assert {"has_attachment", "is_seen", "public_key", "fingerprint", "url", "key"} <= set(source)
    assert source["has_attachment"] is False and source["is_seen"] is False
    item = answer["items"][seeded.message_uuid]
    assert item["kind"] == "message" and item["source"] == seeded.source_uuid
    assert {"size", "seen_by", "interaction_count", "is_read"} <= set(item)
    assert answer["journalists"][journalist_uuid]["username"] == "dana"
    assert answer["sources"][gone] is None and answer["items"][gone] is None
    assert answer["journalists"][gone] is None and answer["events"] == {}


def test_an_event_has_effect_once_and_repeats_its_first_result(
    api: ApiClient, seeded: Seeded
) -> None:
    _, body = index(api)
    target = {"source_uuid": seeded.source_uuid, "version": body["sources"][seeded.source_uuid]}
    star = event("source_starred", target, "1000")
    first = data(api, events=[star], sources=[seeded.source_uuid])
    assert first["events"] == {"1000": [200, None]}
    assert first["sources"][seeded.source_uuid]["is_starred"] is True
    api.json("DELETE", f"/api/v1/sources/{seeded.source_uuid}/remove_star")
    again = data(api, events=[star], sources=[seeded.source_uuid])
    assert again["events"] == {"1000": [200, None]}
    assert again["sources"][seeded.source_uuid]["is_starred"] is False


def test_a_stale_version_is_409_and_changes_nothing(api: ApiClient, seeded: Seeded) -> None:
    _, body = index(api)
    old = body["items"][seeded.message_uuid]
    api.json("POST", "/api/v1/seen", {"messages": [seeded.message_uuid]})
    stale = event("item_deleted", {"item_uuid": seeded.message_uuid, "version": old}, "2000")
    answer = data(api, events=[stale], items=[seeded.message_uuid])
    assert answer["events"]["2000"][0] == 409
    assert answer["items"][seeded.message_uuid] is not None


def test_every_event_type(
    api: ApiClient, seeded: Seeded, reader_keys: ReaderKeys, instance: Instance
) -> None:
    def version(kind: str, key: str) -> str:
        return index(api)[1][kind][key]  # type: ignore[no-any-return]

    src = {"source_uuid": seeded.source_uuid}
    armored = encrypt_reply("hello", [reader_keys.public_key])
    reply_uuid = str(uuid.uuid4())
    steps: list[tuple[dict[str, Any], int]] = [
        (event("reply_sent", src, uuid=reply_uuid, reply=armored), 200),
        (event("source_conversation_seen", src, upper_bound=2), 200),
        (event("source_unstarred", src), 200),
    ]
    for step, status in steps:
        step["target"]["version"] = version("sources", seeded.source_uuid)
        answer = data(api, events=[step], sources=[seeded.source_uuid])
        assert answer["events"][step["id"]][0] == status, answer["events"]
    source = data(api, sources=[seeded.source_uuid])["sources"][seeded.source_uuid]
    assert source["is_seen"] is True and source["interaction_count"] == 2
    reply = data(api, items=[reply_uuid])["items"][reply_uuid]
    assert reply["kind"] == "reply" and reply["is_deleted_by_source"] is False

    deleted = event(
        "item_deleted", {"item_uuid": reply_uuid, "version": version("items", reply_uuid)}
    )
    assert data(api, events=[deleted])["events"][deleted["id"]] == [200, None]
    truncate = event("source_conversation_truncated", dict(src), upper_bound=1)
    truncate["target"]["version"] = version("sources", seeded.source_uuid)
    after = data(api, events=[truncate], items=[seeded.message_uuid])
    assert after["events"][truncate["id"]] == [200, None]
    assert after["items"][seeded.message_uuid] is None
    gone = event("source_deleted", dict(src))
    gone["target"]["version"] = version("sources", seeded.source_uuid)
    final = data(api, events=[gone], sources=[seeded.source_uuid])
    assert final["sources"][seeded.source_uuid] is None
    assert list(instance.store.root.rglob("*.gpg")) == []
    assert [action for _, action, _ in audit_trail(instance)] == [
        "delete reply",
        "delete 1 of the conversation",
        "delete source",
    ]


def test_bad_events_get_their_own_status(api: ApiClient, seeded: Seeded) -> None:
    unknown = event("source_painted", {"source_uuid": seeded.source_uuid, "version": "x"})
    missing = event("source_starred", {"source_uuid": str(uuid.uuid4()), "version": "x"})
    no_version = event("source_starred", {"source_uuid": seeded.source_uuid})
    answer = data(api, events=[unknown, missing, no_version])["events"]
    assert answer[unknown["id"]][0] == 400
    assert answer[missing["id"]][0] == 404
    assert answer[no_version["id"]][0] == 400


def raw_version_unseen(instance: Instance) -> None:
    """Every source's version set by raw SQL, then the generation put back as it was."""
    with instance.sessions() as session:
        kept = versions.generation(session)
        session.execute(update(Source).values(version="raw"))
        # Committed first: PostgreSQL's trigger bumps the generation once, at the commit.
        session.commit()
        session.execute(update(IndexState).values(generation=kept))
        session.commit()


def test_the_index_is_answered_from_memory_until_the_generation_moves(
    api: ApiClient, seeded: Seeded, instance: Instance
) -> None:
    """Shown by a raw version UPDATE whose generation bump is then undone: the worker keeps
    answering what it read, for a 304 and a 200 alike, until any other change."""
    etag, body = index(api)
    raw_version_unseen(instance)

    unchanged = api.get("/api/v2/index", headers={**PREFER, "If-None-Match": etag})
    assert unchanged.status_code == 304
    assert index(api) == (etag, body)

    api.json("POST", f"/api/v1/sources/{seeded.source_uuid}/add_star", status=201)
    moved_etag, moved = index(api)
    assert moved_etag != etag and moved["items"] == body["items"]
    assert moved["sources"][seeded.source_uuid] not in ("raw", body["sources"][seeded.source_uuid])


def test_a_warmed_worker_answers_its_first_index_request_from_memory(
    app: Flask, api: ApiClient, seeded: Seeded, instance: Instance
) -> None:
    assert isinstance(app, JournalistApp)
    app.warm_up()
    raw_version_unseen(instance)

    _, body = index(api)

    assert body["sources"][seeded.source_uuid] != "raw"


def test_the_index_version_is_the_digest_of_the_body_a_client_gets(
    api: ApiClient, seeded: Seeded
) -> None:
    response = api.get("/api/v2/index", headers=PREFER)
    assert response.headers["ETag"] == f'"{hashlib.sha256(response.get_data()).hexdigest()}"'
    again = api.get("/api/v2/index", headers=PREFER)
    assert again.get_data() == response.get_data()
