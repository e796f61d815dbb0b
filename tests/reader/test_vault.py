"""Vault operations: list, show, delete (overwritten before unlinked), reopen."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import pytest

from reader.shred import shred_file
from sealdrop.errors import NotFound, ReaderRefused
from tests.reader.helpers import PASSPHRASE, KeyTemplate, ReaderMachine, encrypt_to, write_files


def fill(reader: ReaderMachine, reader_key: KeyTemplate, tmp_path: Path) -> None:
    public = reader_key.public
    folder = write_files(
        tmp_path / "c",
        {
            "amber heron/1-amber-heron-msg.gpg": encrypt_to(public, b"one"),
            "amber heron/2-amber-heron-msg.gpg": encrypt_to(public, b"two"),
            "quiet otter/1-quiet-otter-msg.gpg": encrypt_to(public, b"other"),
        },
    )
    with reader.vault() as vault:
        assert vault.import_path(folder, reader.keyring, PASSPHRASE).count("imported") == 3


def test_shred_overwrites_the_bytes_before_unlinking(tmp_path: Path) -> None:
    target = tmp_path / "secret"
    target.write_bytes(b"plaintext" * 1000)
    witness = tmp_path / "witness"
    os.link(target, witness)  # the same inode: what shred leaves in it is visible here
    shred_file(target)
    assert not target.exists()
    assert witness.read_bytes() == bytes(9000)


def test_delete_an_item_then_the_last_one_removes_the_source(
    reader: ReaderMachine, reader_key: KeyTemplate, tmp_path: Path
) -> None:
    fill(reader, reader_key, tmp_path)
    with reader.vault() as vault:
        first = vault.item("amber heron", 1)
        witness = tmp_path / "witness"
        os.link(first.path, witness)
        vault.delete_item("amber heron", 1)
        assert witness.read_bytes() == bytes(3)
        assert [i.number for i in vault.conversation("amber heron")] == [2]
        vault.delete_item("amber heron", 2)
        assert [s.designation for s in vault.sources()] == ["quiet otter"]
        with pytest.raises(NotFound, match="No source 'amber heron'"):
            vault.conversation("amber heron")
    assert reader.vault_files() == ["sources/quiet-otter/0001-message.txt"]
    # Reopened, the index says the same.
    with reader.vault() as vault:
        assert [s.designation for s in vault.sources()] == ["quiet otter"]


def test_delete_a_source(reader: ReaderMachine, reader_key: KeyTemplate, tmp_path: Path) -> None:
    fill(reader, reader_key, tmp_path)
    with reader.vault() as vault:
        gone = vault.delete_source("quiet otter")
        assert [i.number for i in gone] == [1]
        assert [s.designation for s in vault.sources()] == ["amber heron"]
        with pytest.raises(NotFound, match="has no item 9"):
            vault.delete_item("amber heron", 9)
    assert not (reader.vault_dir / "sources" / "quiet-otter").exists()


def test_one_writer_at_a_time(
    reader: ReaderMachine, reader_key: KeyTemplate, tmp_path: Path
) -> None:
    fill(reader, reader_key, tmp_path)
    folder = write_files(
        tmp_path / "more",
        {"amber heron/3-amber-heron-msg.gpg": encrypt_to(reader_key.public, b"3")},
    )
    # Another process (the window, a second command) holds the vault's lock.
    holder = os.open(reader.vault_dir / "lock", os.O_RDWR)
    fcntl.flock(holder, fcntl.LOCK_EX)
    try:
        with reader.vault() as vault:
            report = vault.import_path(folder, reader.keyring, PASSPHRASE)
            assert report.refused == (
                "Another import or deletion is running on this vault; wait for it to end."
            )
            with pytest.raises(ReaderRefused, match="Another import"):
                vault.delete_source("amber heron")
            assert len(vault.conversation("amber heron")) == 2
    finally:
        os.close(holder)
    with reader.vault() as vault:
        assert vault.import_path(folder, reader.keyring, PASSPHRASE).count("imported") == 1
