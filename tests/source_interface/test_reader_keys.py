"""Reader keys seen from the source interface: the key page, its download, /metadata, and a
rotation drill in which no submission is ever out of both readers' reach."""

from __future__ import annotations

import datetime as dt
import gzip
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from sealdrop.config import load_config
from sealdrop.db.models import Submission
from sealdrop.runtime.initialise import initialise
from sealdrop.runtime.instance import Instance
from sealdrop.services import reader_keys as keys
from tests.cli_runner import as_a_process
from tests.harness import FAST_KDF, ReaderKeys
from tests.server import serve_source
from tests.source_interface.actions import SourceActions, page
from tests.source_interface.http_source import HttpSource


def add(inst: Instance, armored: str) -> None:
    with inst.sessions() as session:
        keys.add_key(session, inst.gpg, armored, today=keys_day(inst))


def retire(inst: Instance, fingerprint: str) -> None:
    with inst.sessions() as session:
        keys.retire_key(session, inst.gpg, fingerprint, today=keys_day(inst))


def keys_day(inst: Instance) -> dt.date:
    return dt.datetime.fromtimestamp(inst.gpg.now(), dt.UTC).date()


def stored_since(inst: Instance, seen: set[str]) -> list[Path]:
    """Files stored since `seen` (which it then includes), oldest first."""
    with inst.sessions() as session:
        rows = session.scalars(select(Submission).order_by(Submission.id)).all()
        new = [row for row in rows if row.filename not in seen]
        seen.update(row.filename for row in new)
        return [inst.store.path_of(row.source.filesystem_id, row.filename) for row in new]


def opens(reader: ReaderKeys, path: Path) -> bool:
    return reader.can_decrypt(path)


def test_key_page_lists_every_active_key_and_downloads_them_in_one_file(
    client: FlaskClient,
    source_instance: Instance,
    reader_keys: ReaderKeys,
    second_reader_keys: ReaderKeys,
) -> None:
    single = page(client.get("/why-public-key"))
    assert "Our Submission Key</h1>" in single and reader_keys.fingerprint in single

    add(source_instance, second_reader_keys.public_key)

    shown = page(client.get("/why-public-key"))
    assert "Our Submission Keys</h1>" in shown
    assert f"<li><code>{reader_keys.fingerprint}</code></li>" in shown
    assert f"<li><code>{second_reader_keys.fingerprint}</code></li>" in shown
    assert "Encrypt it to all of these keys at once" in shown
    french = page(client.get("/why-public-key?l=fr"))
    assert "Nos clés de dépôt" in french and "Leurs empreintes sont\u00a0:" in french

    download = client.get("/public-key")
    assert download.status_code == 200 and download.mimetype == "application/pgp-keys"
    assert 'filename="public-keys.asc"' in download.headers["Content-Disposition"]
    assert "PRIVATE" not in download.get_data(as_text=True)
    assert imported_fingerprints(download.get_data()) == {
        reader_keys.fingerprint,
        second_reader_keys.fingerprint,
    }

    metadata = client.get("/metadata").get_json()
    assert metadata["gpg_fpr"] == reader_keys.fingerprint  # the oldest active key
    assert metadata["reader_key_fprs"] == [reader_keys.fingerprint, second_reader_keys.fingerprint]

    retire(source_instance, reader_keys.fingerprint)
    assert reader_keys.fingerprint not in page(client.get("/why-public-key"))
    assert client.get("/metadata").get_json()["gpg_fpr"] == second_reader_keys.fingerprint
    assert imported_fingerprints(client.get("/public-key").get_data()) == {
        second_reader_keys.fingerprint
    }


def imported_fingerprints(armored: bytes) -> set[str]:
    """What a source's own gpg finds in the download."""
    with tempfile.TemporaryDirectory(prefix="sdi-") as home:
        listing = subprocess.run(
            ["gpg", "--homedir", home, "--batch", "--with-colons", "--show-keys"],
            input=armored,
            capture_output=True,
            check=True,
        ).stdout.decode()
    fingerprints, primary = set(), False
    for line in listing.splitlines():
        fields = line.split(":")
        if fields[0] in ("pub", "sub"):
            primary = fields[0] == "pub"
        elif fields[0] == "fpr" and primary:
            fingerprints.add(fields[9])
    return fingerprints


def test_a_rotation_drill_loses_nothing(
    source: SourceActions,
    source_instance: Instance,
    reader_keys: ReaderKeys,
    second_reader_keys: ReaderKeys,
) -> None:
    """The procedure of docs/operations.md, with a source submitting at every step."""
    old, new = reader_keys, second_reader_keys
    inst, seen = source_instance, set[str]()
    source.begin("before the rotation")
    source.submit("and a file", files=[(b"old document", "old.txt")])
    before = stored_since(inst, seen)

    # 1. Add the new reader's key: from the next upload on, items go to both.
    add(inst, new.public_key)
    assert source.submit("during", files=[(b"overlap document", "mid.txt")]).status_code == 302
    during = stored_since(inst, seen)
    # 2. The new reader opens a test submission before anything is retired.
    assert new.decrypt(during[0]) == b"during"
    # 3. Retire the old key: new items go to the new reader only.
    retire(inst, old.fingerprint)
    assert source.submit("after", files=[(b"new document", "new.txt")]).status_code == 302
    after = stored_since(inst, seen)

    assert (len(before), len(during), len(after)) == (3, 2, 2)
    for path in before:
        assert opens(old, path) and not opens(new, path)
    for path in during:
        assert opens(old, path) and opens(new, path)
    for path in after:
        assert opens(new, path) and not opens(old, path)
    # Every item ever stored opens with one of the two readers, and says which.
    with inst.sessions() as session:
        for row in session.scalars(select(Submission)):
            path = inst.store.path_of(row.source.filesystem_id, row.filename)
            readers = {key.fingerprint for key in row.reader_keys}
            assert readers == {r.fingerprint for r in (old, new) if opens(r, path)}
    assert gzip.decompress(new.decrypt(after[1])) == b"new document"


@pytest.mark.server
def test_a_running_server_follows_keys_add_and_retire_without_a_restart(
    reader_keys: ReaderKeys, second_reader_keys: ReaderKeys
) -> None:
    base = Path(tempfile.mkdtemp(prefix="sdk-"))
    env = {"SEALDROP_DATA_DIR": str(base / "data"), "SEALDROP_MIN_FREE_BYTES": "0", **FAST_KDF}
    (base / "new.asc").write_text(second_reader_keys.public_key)
    try:
        initialise(load_config(env), submission_key=reader_keys.public_key)
        store = load_config(env).store_dir
        with serve_source(env, base) as server:
            client = HttpSource(server.port)
            client.create()

            def submit(text: str) -> Path:
                reply = client.upload(text, [])
                assert reply is not None and reply.status == 302, reply
                return max(store.glob("*/*.gpg"), key=lambda p: int(p.name.split("-")[0]))

            first = submit("one key")
            assert as_a_process(env, "keys", "add", str(base / "new.asc")).code == 0
            second = submit("two keys")
            retired = as_a_process(env, "keys", "retire", reader_keys.fingerprint)
            assert retired.code == 0, retired.stderr
            third = submit("the new key")
        assert (opens(reader_keys, first), opens(second_reader_keys, first)) == (True, False)
        assert (opens(reader_keys, second), opens(second_reader_keys, second)) == (True, True)
        assert (opens(reader_keys, third), opens(second_reader_keys, third)) == (False, True)
    finally:
        shutil.rmtree(base, ignore_errors=True)
