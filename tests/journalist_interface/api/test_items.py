"""v1 messages and files: listing, downloads the reader can decrypt (ranges and the checksum
header included), seen marks, deletion. Replies are in test_replies.py."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path

from sqlalchemy import select

from sealdrop.db.models import Submission
from sealdrop.runtime.instance import Instance
from tests.harness import ReaderKeys
from tests.journalist_interface.api.client import ApiClient
from tests.journalist_interface.api.conftest import MESSAGE, Seeded, send_reply, source_path
from tests.sealdrop.services.journalist_helpers import audit_trail

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
