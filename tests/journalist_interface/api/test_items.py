"""v1 messages, files and replies: listing, downloads the reader can decrypt (ranges and the
checksum header included), replies encrypted by the client, seen marks, deletion."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from sealdrop.db.models import Journalist, Reply, Submission
from sealdrop.runtime.instance import Instance
from sealdrop.services import journalists
from sealdrop.services import reader_keys as reader_keys_service
from tests.harness import ReaderKeys
from tests.journalist_interface.api.client import ApiClient, encrypt_reply
from tests.journalist_interface.api.conftest import MESSAGE, Seeded, issue
from tests.sealdrop.services.journalist_helpers import add_journalist, audit_trail

SUBMISSION_KEYS = {
    "uuid",
    "filename",
    "size",
    "is_file",
    "is_message",
    "is_read",
    "seen_by",
    "source_url",
    "submission_url",
    "download_url",
}
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


def source_path(seeded: Seeded) -> str:
    return f"/api/v1/sources/{seeded.source_uuid}"


def send_reply(api: ApiClient, seeded: Seeded, reader_keys: ReaderKeys, **extra: str) -> dict:  # type: ignore[type-arg]
    source = api.json("GET", source_path(seeded))
    armored = encrypt_reply("We got it.", [source["key"]["public"], reader_keys.public_key])
    return api.json(  # type: ignore[no-any-return]
        "POST", f"{source_path(seeded)}/replies", {"reply": armored, **extra}, status=201
    )


def test_submissions_in_securedrop_s_shape(api: ApiClient, seeded: Seeded) -> None:
    [listed] = api.json("GET", "/api/v1/submissions")["submissions"]
    assert set(listed) == SUBMISSION_KEYS
    hyphenated = seeded.designation.replace(" ", "-")
    assert listed["filename"] == f"1-{hyphenated}-msg.gpg"
    assert listed["is_message"] is True and listed["is_file"] is False
    assert listed["is_read"] is False and listed["seen_by"] == []
    url = f"{source_path(seeded)}/submissions/{seeded.message_uuid}"
    assert listed["submission_url"] == url and listed["download_url"] == f"{url}/download"
    assert api.json("GET", f"{source_path(seeded)}/submissions") == {"submissions": [listed]}
    assert api.json("GET", url) == listed


def test_download_decrypts_and_marks_read(
    api: ApiClient, seeded: Seeded, reader_keys: ReaderKeys, tmp_path: Path
) -> None:
    url = f"{source_path(seeded)}/submissions/{seeded.message_uuid}"
    response = api.get(f"{url}/download")
    body = response.get_data()
    response.close()
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pgp-encrypted"
    assert response.headers["Accept-Ranges"] == "bytes"
    filename = api.json("GET", url)["filename"]
    assert response.headers["Content-Disposition"] == f"attachment; filename={filename}"
    assert response.headers["Etag"] == f"sha256:{hashlib.sha256(body).hexdigest()}"
    (tmp_path / "m.gpg").write_bytes(body)
    assert reader_keys.decrypt(tmp_path / "m.gpg") == MESSAGE.encode()
    assert api.json("GET", url)["is_read"] is True


def test_the_checksum_is_of_the_file_as_first_served(
    api: ApiClient, seeded: Seeded, instance: Instance
) -> None:
    """Kept in the row at the first download, so a file altered on disk later does not match."""
    url = f"{source_path(seeded)}/submissions/{seeded.message_uuid}/download"
    first = api.get(url)
    body = first.get_data()
    first.close()
    with instance.sessions() as session:
        message = session.scalars(select(Submission).filter_by(uuid=seeded.message_uuid)).one()
        assert message.checksum == hashlib.sha256(body).hexdigest()
        path = instance.store.path_of(message.source.filesystem_id, message.filename)
    path.write_bytes(body[:-1] + bytes([body[-1] ^ 1]))

    again = api.get(url)
    altered = again.get_data()
    again.close()
    assert again.headers["Etag"] == first.headers["Etag"]
    assert hashlib.sha256(altered).hexdigest() != message.checksum


def test_range_requests_get_the_part_asked_for(api: ApiClient, seeded: Seeded) -> None:
    url = f"{source_path(seeded)}/submissions/{seeded.message_uuid}/download"
    whole = api.get(url)
    data = whole.get_data()
    whole.close()
    part = api.get(url, headers={"Range": "bytes=10-19"})
    assert part.status_code == 206 and part.get_data() == data[10:20]
    assert part.headers["Content-Range"] == f"bytes 10-19/{len(data)}"
    part.close()
    outside = api.get(url, headers={"Range": f"bytes={len(data) + 5}-"})
    assert outside.status_code == 416
    assert outside.headers["Content-Range"] == f"bytes */{len(data)}"
    tail = api.get(url, headers={"Range": "bytes=-5"})
    assert tail.status_code == 206 and tail.get_data() == data[-5:]
    tail.close()
    several = api.get(url, headers={"Range": "bytes=0-1,5-6"})  # answered whole, as HTTP allows
    assert several.status_code == 200 and several.get_data() == data
    several.close()
    outside.close()


def test_unknown_items_are_404(api: ApiClient, seeded: Seeded) -> None:
    for kind in ("submissions", "replies"):
        for suffix in ("", "/download"):
            path = f"{source_path(seeded)}/{kind}/{uuid.uuid4()}{suffix}"
            assert api.json("GET", path, status=404)["error"] == "Not Found"
        api.json("DELETE", f"{source_path(seeded)}/{kind}/{uuid.uuid4()}", status=404)
    # A reply's uuid does not name a submission, nor the other way round.
    api.json("GET", f"{source_path(seeded)}/replies/{seeded.message_uuid}", status=404)


def test_delete_a_submission_wipes_its_file(
    api: ApiClient, seeded: Seeded, instance: Instance
) -> None:
    url = f"{source_path(seeded)}/submissions/{seeded.message_uuid}"
    assert len(list(instance.store.root.rglob("*-msg.gpg"))) == 1
    assert api.json("DELETE", url) == {"message": "Submission deleted"}
    api.json("GET", url, status=404)
    assert list(instance.store.root.rglob("*-msg.gpg")) == []
    assert api.json("GET", source_path(seeded))["interaction_count"] == 1
    assert audit_trail(instance) == [("dana", "delete message", seeded.designation)]


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


def test_seen_marks_all_or_nothing(api: ApiClient, seeded: Seeded, reader_keys: ReaderKeys) -> None:
    reply = send_reply(api, seeded, reader_keys)
    body = {"files": [], "messages": [seeded.message_uuid], "replies": [str(uuid.uuid4())]}
    assert api.json("POST", "/api/v1/seen", body, status=404)["error"] == "Not Found"
    url = f"{source_path(seeded)}/submissions/{seeded.message_uuid}"
    assert api.json("GET", url)["seen_by"] == []
    body["replies"] = [reply["uuid"]]
    assert api.json("POST", "/api/v1/seen", body) == {"message": "resources marked seen"}
    me = api.json("GET", "/api/v1/user")["uuid"]
    assert api.json("GET", url)["seen_by"] == [me]
    assert api.json("POST", "/api/v1/seen", body) == {"message": "resources marked seen"}
    for wrong in ({"files": "x"}, {"messages": [1]}, ["x"]):
        api.json("POST", "/api/v1/seen", wrong, status=400)


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
