"""v1 sources: the list and one source in SecureDrop's shape, stars, and deleting a source or
its conversation, files included."""

from __future__ import annotations

import re

from sealdrop.runtime.instance import Instance
from tests.journalist_interface.api.client import ApiClient
from tests.journalist_interface.api.conftest import Seeded
from tests.sealdrop.services.journalist_helpers import audit_trail

SOURCE_KEYS = {
    "uuid",
    "url",
    "journalist_designation",
    "is_flagged",
    "is_starred",
    "last_updated",
    "interaction_count",
    "number_of_documents",
    "number_of_messages",
    "submissions_url",
    "replies_url",
    "add_star_url",
    "remove_star_url",
    "key",
}


def test_sources_in_securedrop_s_shape(api: ApiClient, seeded: Seeded) -> None:
    [source] = api.json("GET", "/api/v1/sources")["sources"]
    assert set(source) == SOURCE_KEYS
    url = f"/api/v1/sources/{seeded.source_uuid}"
    assert source["uuid"] == seeded.source_uuid and source["url"] == url
    assert source["journalist_designation"] == seeded.designation
    assert re.fullmatch(r"[a-z'-]+ [a-z'-]+", source["journalist_designation"])
    assert source["submissions_url"] == f"{url}/submissions"
    assert source["add_star_url"] == f"{url}/add_star"
    assert (source["number_of_messages"], source["number_of_documents"]) == (1, 0)
    assert source["interaction_count"] == 1 and source["is_flagged"] is False
    assert source["last_updated"].endswith("T00:00:00.000000Z")
    assert source["key"]["type"] == "PGP"
    assert source["key"]["public"].startswith("-----BEGIN PGP PUBLIC KEY BLOCK-----")
    assert re.fullmatch(r"[0-9A-F]{40}", source["key"]["fingerprint"])
    assert api.json("GET", url) == source


def test_unknown_source_is_404_everywhere(api: ApiClient) -> None:
    base = "/api/v1/sources/not-a-source"
    for method, path in [
        ("GET", base),
        ("DELETE", base),
        ("DELETE", f"{base}/conversation"),
        ("POST", f"{base}/add_star"),
        ("DELETE", f"{base}/remove_star"),
        ("POST", f"{base}/flag"),
        ("GET", f"{base}/submissions"),
        ("GET", f"{base}/replies"),
    ]:
        answer = api.json(method, path, status=404)
        assert answer["error"] == "Not Found", (method, path)


def test_star_and_unstar(api: ApiClient, seeded: Seeded) -> None:
    url = f"/api/v1/sources/{seeded.source_uuid}"
    assert api.json("POST", f"{url}/add_star", status=201) == {"message": "Star added"}
    assert api.json("GET", url)["is_starred"] is True
    assert api.json("DELETE", f"{url}/remove_star") == {"message": "Star removed"}
    assert api.json("GET", url)["is_starred"] is False


def test_flag_is_a_no_op(api: ApiClient, seeded: Seeded) -> None:
    url = f"/api/v1/sources/{seeded.source_uuid}"
    before = api.json("GET", url)
    assert api.json("POST", f"{url}/flag") == {
        "message": "Sources no longer need to be flagged for reply"
    }
    assert api.json("GET", url) == before


def test_deleting_a_source_removes_rows_files_and_key(
    api: ApiClient, seeded: Seeded, instance: Instance
) -> None:
    folders = [path for path in instance.store.root.iterdir() if path.name != ".staging"]
    assert len(folders) == 1 and any(folders[0].iterdir())
    url = f"/api/v1/sources/{seeded.source_uuid}"
    assert api.json("DELETE", url) == {"message": "Source and submissions deleted"}
    api.json("GET", url, status=404)
    assert api.json("GET", "/api/v1/submissions") == {"submissions": []}
    assert not folders[0].exists()
    assert audit_trail(instance) == [("dana", "delete source", seeded.designation)]


def test_deleting_a_conversation_keeps_the_source_and_its_count(
    api: ApiClient, seeded: Seeded, instance: Instance
) -> None:
    url = f"/api/v1/sources/{seeded.source_uuid}"
    assert api.json("DELETE", f"{url}/conversation") == {"message": "Source data deleted"}
    source = api.json("GET", url)
    assert source["number_of_messages"] == 0 and source["interaction_count"] == 1
    assert api.json("GET", f"{url}/submissions") == {"submissions": []}
    trail = [("dana", "delete 1 of the conversation", seeded.designation)]
    assert audit_trail(instance) == trail
    api.json("DELETE", f"{url}/conversation")
    assert audit_trail(instance) == trail  # nothing left to delete, nothing recorded
    stored = [p for p in instance.store.root.rglob("*.gpg")]
    assert stored == []
