"""Round trip with the real server: a source submits, a bundle is downloaded, the reader shows."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from sealdrop.domain.items import Kind
from sealdrop.runtime.instance import Instance
from tests.reader.helpers import PASSPHRASE, KeyTemplate, ReaderMachine, download, reply, submit


def test_what_a_source_sent_is_what_the_reader_shows(
    newsroom: Instance, reader: ReaderMachine, reader_key: KeyTemplate, tmp_path: Path
) -> None:
    # Given a source who sends a message and two files, and a journalist's reply
    document = os.urandom(300_000) + b"\x00" * 200_000
    message = "The ledger is in the second drawer.\nÇa va — 東京."
    designation = submit(
        newsroom, message, [(document, "ledger 2024.pdf"), (b"notes", "notes.txt")]
    )
    reply(newsroom, designation, "Thank you, received.", [reader_key.key])
    bundle = download(newsroom, designation, tmp_path / "bundle.zip")

    # When the reader imports the bundle
    with reader.vault() as vault:
        report = vault.import_path(bundle, reader.keyring, PASSPHRASE)
        assert report.refused is None
        assert [o.status for o in report.outcomes] == ["imported"] * 4

        # Then the conversation is exactly what was sent, in order, bytes equal
        items = vault.conversation(designation)
        assert [(i.number, i.kind) for i in items] == [
            (1, Kind.MESSAGE), (2, Kind.FILE), (3, Kind.FILE), (4, Kind.REPLY),
        ]  # fmt: skip
        assert items[0].text() == message
        assert items[1].path.read_bytes() == document
        assert (items[1].original_name, items[1].size) == ("ledger 2024.pdf", len(document))
        assert (items[2].path.read_bytes(), items[2].original_name) == (b"notes", "notes.txt")
        assert items[3].text() == "Thank you, received."
        assert not any(i.double_encrypted for i in items)
        assert [s.designation for s in vault.sources()] == [designation]
        summary = vault.sources()[0]
        assert (summary.messages, summary.files, summary.replies) == (1, 2, 1)


def test_vault_is_private_and_named_by_the_reader(
    newsroom: Instance, reader: ReaderMachine, tmp_path: Path
) -> None:
    designation = submit(newsroom, "hello", [(b"x" * 10, "../../etc/passwd")])
    bundle = download(newsroom, designation, tmp_path / "b.zip")
    with reader.vault() as vault:
        vault.import_path(bundle, reader.keyring, PASSPHRASE)
        item = vault.item(designation, 2)
    folder = designation.replace(" ", "-").replace("'", "")
    assert reader.vault_files() == [
        f"sources/{folder}/0001-message.txt", f"sources/{folder}/0002-file",
    ]  # fmt: skip
    # The server already cut the name to its last part; the reader only ever shows it escaped.
    assert item.original_name == "passwd"
    for path in reader.vault_dir.rglob("*"):
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), path
    assert stat.S_IMODE(reader.vault_dir.stat().st_mode) == 0o700


def test_importing_twice_adds_nothing_twice(
    newsroom: Instance, reader: ReaderMachine, tmp_path: Path
) -> None:
    designation = submit(newsroom, "once", [(b"file", "f.txt")])
    bundle = download(newsroom, designation, tmp_path / "b.zip")
    with reader.vault() as vault:
        first = vault.import_path(bundle, reader.keyring, PASSPHRASE)
        files = reader.vault_files()
        again = vault.import_path(bundle, reader.keyring, PASSPHRASE)
        assert (first.count("imported"), again.count("imported")) == (2, 0)
        assert again.count("duplicate") == 2
        assert len(vault.conversation(designation)) == 2
    assert reader.vault_files() == files
