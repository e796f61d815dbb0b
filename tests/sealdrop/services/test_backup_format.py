"""The backup archive's format: the member names it may hold, its manifest, the instance id."""

from __future__ import annotations

import hashlib

import pytest

from sealdrop.errors import ArchiveInvalid
from sealdrop.services import backup_format as fmt


def test_member_names_are_only_those_a_backup_writes() -> None:
    fsid = "a" * 52
    for good in (
        "FORMAT",
        "store",
        f"store/{fsid}",
        f"store/{fsid}/1-amber-heron-msg.gpg",
        "onion/journalist/authorized_clients/alice.auth",
        "database/sealdrop.sqlite",
    ):
        assert fmt.check_member_name(good) == good
    for bad in (
        "/etc/passwd",
        "../x",
        "onion/../../x",
        f"store/{fsid}/../../x",
        "store/x/y",
        "onion/a/b/c/d",
        "notes.txt",
        "database/other.db",
        "",
    ):
        with pytest.raises(ArchiveInvalid):
            fmt.check_member_name(bad)


def test_the_manifest_reads_back_what_it_wrote_and_refuses_others() -> None:
    entry = fmt.FileEntry(3, hashlib.sha256(b"abc").hexdigest())
    manifest = fmt.Manifest(
        instance_id="ab" * 16,
        schema_revision="0006",
        database=fmt.SQLITE_NAME,
        counts=dict.fromkeys(fmt.COUNTED_TABLES, 2),
        files={fmt.SQLITE_NAME: entry, fmt.SECRETS_NAME: entry},
        day="2026-12-01",
    )
    assert fmt.Manifest.from_json(manifest.to_json()) == manifest
    for damaged in (
        b"",
        b"[]",
        b"{}",
        manifest.to_json().replace(b'"format_version": 1', b'"format_version": 2'),
        manifest.to_json().replace(b'"sources": 2', b'"sources": "two"'),
        manifest.to_json().replace(b"secrets.toml", b"../secrets.toml"),
    ):
        with pytest.raises(ArchiveInvalid):
            fmt.Manifest.from_json(damaged)


def test_the_instance_id_is_stable_and_tells_nothing_of_the_salt() -> None:
    salt = bytes(range(32))
    assert fmt.instance_id(salt) == fmt.instance_id(bytes(range(32)))
    assert fmt.instance_id(salt) != fmt.instance_id(bytes(32))
    assert salt.hex()[:8] not in fmt.instance_id(salt)
