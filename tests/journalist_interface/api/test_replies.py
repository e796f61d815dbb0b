"""v1 replies: encrypted by the client, stored as sent for the reader, refused when bad or
reused, deleted, and linked to the reader keys they name."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from sealdrop.db.models import Journalist, Reply
from sealdrop.runtime.instance import Instance
from sealdrop.services import journalists
from sealdrop.services import reader_keys as reader_keys_service
from tests.harness import ReaderKeys
from tests.journalist_interface.api.client import ApiClient, encrypt_reply
from tests.journalist_interface.api.conftest import Seeded, issue, send_reply, source_path
from tests.sealdrop.services.journalist_helpers import add_journalist, audit_trail

REPLY_KEYS = {
    "uuid",
    "filename",
    "size",
    "source_url",
    "reply_url",
    "is_deleted_by_source",
    "seen_by",
    "journalist_uuid",
    "journalist_username",
    "journalist_first_name",
    "journalist_last_name",
}


def test_a_reply_is_stored_as_sent_and_readable_by_the_reader(
    api: ApiClient, seeded: Seeded, reader_keys: ReaderKeys, tmp_path: Path
) -> None:
    chosen = str(uuid.uuid4())
    stored = send_reply(api, seeded, reader_keys, uuid=chosen)
    hyphenated = seeded.designation.replace(" ", "-")
    assert stored == {
        "message": "Your reply has been stored",
        "uuid": chosen,
        "filename": f"2-{hyphenated}-reply.gpg",
    }
    reply = api.json("GET", f"{source_path(seeded)}/replies/{chosen}")
    assert set(reply) == REPLY_KEYS
    me = api.json("GET", "/api/v1/user")
    assert reply["journalist_uuid"] == me["uuid"] and reply["journalist_username"] == "dana"
    assert reply["seen_by"] == [me["uuid"]] and reply["is_deleted_by_source"] is False
    assert api.json("GET", "/api/v1/replies") == {"replies": [reply]}
    assert api.json("GET", source_path(seeded))["interaction_count"] == 2
    download = api.get(f"{source_path(seeded)}/replies/{chosen}/download")
    (tmp_path / "r.gpg").write_bytes(download.get_data())
    assert download.headers["Etag"].startswith("sha256:")
    download.close()
    assert reader_keys.decrypt(tmp_path / "r.gpg") == b"We got it."


def test_a_reused_reply_uuid_is_409(
    api: ApiClient, seeded: Seeded, reader_keys: ReaderKeys
) -> None:
    chosen = str(uuid.uuid4())
    send_reply(api, seeded, reader_keys, uuid=chosen)
    armored = encrypt_reply("again", [reader_keys.public_key])
    body = {"reply": armored, "uuid": chosen}
    assert api.json("POST", f"{source_path(seeded)}/replies", body, status=409)["error"] == (
        "Conflict"
    )
    body["uuid"] = seeded.message_uuid  # a submission's uuid is taken too
    api.json("POST", f"{source_path(seeded)}/replies", body, status=409)
    assert len(api.json("GET", "/api/v1/replies")["replies"]) == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, None),
        ({"reply": ""}, None),
        ({"reply": 5}, None),
        ({"reply": "hello, plain text"}, "You must encrypt replies client side"),
        ({"reply": "-----BEGIN PGP MESSAGE-----\n\nAAAA\n-----END PGP MESSAGE-----"}, None),
        ({"reply": "ENCRYPTED", "uuid": "not-a-uuid"}, None),
        ({"reply": "ENCRYPTED", "uuid": 7}, None),
    ],
)
def test_bad_replies_are_400_and_store_nothing(
    api: ApiClient,
    seeded: Seeded,
    reader_keys: ReaderKeys,
    instance: Instance,
    body: dict[str, object],
    message: str | None,
) -> None:
    if body.get("reply") == "ENCRYPTED":
        body["reply"] = encrypt_reply("x", [reader_keys.public_key])
    answer = api.json("POST", f"{source_path(seeded)}/replies", body, status=400)
    assert answer["error"] == "Bad Request"
    if message is not None:
        assert answer["message"] == message
    assert api.json("GET", "/api/v1/replies") == {"replies": []}
    assert list(instance.store.root.rglob("*-reply.gpg")) == []


def test_a_signed_but_unencrypted_message_is_refused(api: ApiClient, seeded: Seeded) -> None:
    # A literal-data packet (tag 11) in valid armor: an OpenPGP message, but not an encrypted one.
    armored = (
        "-----BEGIN PGP MESSAGE-----\n\nyxR0AAAAAABIZWxsbywgcmVwbHkh\n-----END PGP MESSAGE-----"
    )
    answer = api.json("POST", f"{source_path(seeded)}/replies", {"reply": armored}, status=400)
    assert answer["message"] == "You must encrypt replies client side"


def test_a_deleted_journalist_s_reply_says_deleted(
    api: ApiClient, seeded: Seeded, reader_keys: ReaderKeys, instance: Instance, dana: Journalist
) -> None:
    stored = send_reply(api, seeded, reader_keys)
    with instance.sessions() as session:
        boss = add_journalist(session, instance.config, "boss", admin=True)
        session.expunge(boss)
        journalists.remove(session, journalists.by_uuid(session, dana.uuid))
        session.commit()
    token = issue(instance, boss)
    client = ApiClient(api.client, token)
    reply = client.json("GET", f"{source_path(seeded)}/replies/{stored['uuid']}")
    assert reply["journalist_uuid"] == "deleted" and reply["journalist_username"] == "deleted"
    assert reply["seen_by"] == []


def test_delete_a_reply(
    api: ApiClient, seeded: Seeded, reader_keys: ReaderKeys, instance: Instance
) -> None:
    stored = send_reply(api, seeded, reader_keys)
    url = f"{source_path(seeded)}/replies/{stored['uuid']}"
    assert api.json("DELETE", url) == {"message": "Reply deleted"}
    api.json("GET", url, status=404)
    assert audit_trail(instance) == [("dana", "delete reply", seeded.designation)]


def test_an_armor_header_in_any_script_is_stored(
    api: ApiClient, seeded: Seeded, reader_keys: ReaderKeys
) -> None:
    armored = encrypt_reply("x", [reader_keys.public_key]).replace(
        "-----BEGIN PGP MESSAGE-----\n", "-----BEGIN PGP MESSAGE-----\nComment: café ☕\n", 1
    )
    api.json("POST", f"{source_path(seeded)}/replies", {"reply": armored}, status=201)


def reader_fingerprints_of(instance: Instance, reply_uuid: str) -> list[str]:
    with instance.sessions() as session:
        reply = session.scalars(select(Reply).filter_by(uuid=reply_uuid)).one()
        return [key.fingerprint for key in reply.reader_keys]


def test_a_client_reply_is_linked_to_the_reader_keys_it_names(
    api: ApiClient, seeded: Seeded, reader_keys: ReaderKeys, instance: Instance
) -> None:
    """So the reader keys page counts it among what each key opens, as a server-made reply."""
    linked = send_reply(api, seeded, reader_keys)
    assert reader_fingerprints_of(instance, linked["uuid"]) == [reader_keys.fingerprint]

    source = api.json("GET", source_path(seeded))
    only_the_source = encrypt_reply("For your eyes.", [source["key"]["public"]])
    stored = api.json(
        "POST", f"{source_path(seeded)}/replies", {"reply": only_the_source}, status=201
    )
    assert reader_fingerprints_of(instance, stored["uuid"]) == []
    with instance.sessions() as session:
        [status] = reader_keys_service.statuses(session, instance.gpg)
    assert status.items == 2  # the message and the first reply
