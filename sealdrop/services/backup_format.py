"""The backup archive's layout and manifest, shared by `sealdrop backup`, `restore` and the drill.

The archive is a tar, encrypted as a whole to the admin's OpenPGP key:

    FORMAT                       "sealdrop-backup 1": refused early if it is anything else
    secrets.toml                 the instance's salts and session keys
    onion/...                    the onion services' keys and authorized clients, if any
    store/<source id>/<name>     every stored file the database snapshot knows (ciphertext)
    database/sealdrop.sqlite     or database/sealdrop.pgdump (pg_dump's custom format)
    manifest.json                last: every other member's size and sha256, counts, revision

Every member is a regular file or a directory with a relative path of known shape.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sealdrop.errors import ArchiveInvalid

FORMAT_NAME = "FORMAT"
FORMAT_VERSION = 1
FORMAT_LINE = f"sealdrop-backup {FORMAT_VERSION}\n".encode()
MANIFEST_NAME = "manifest.json"
SECRETS_NAME = "secrets.toml"
SQLITE_NAME = "database/sealdrop.sqlite"
PGDUMP_NAME = "database/sealdrop.pgdump"
COUNTED_TABLES = ("sources", "submissions", "replies", "journalists")
# store/<52 base32>/<stored name>; onion/<up to three plain path parts>.
_MEMBER = re.compile(
    r"^(FORMAT|manifest\.json|secrets\.toml|database/sealdrop\.(sqlite|pgdump)"
    r"|store(/[a-z2-7]{52}(/[1-9][0-9]*-[a-z'-]+-[a-z'-]+-(msg|doc\.gz|reply)\.gpg)?)?"
    r"|onion(/[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}){0,3}|database)$"
)


def instance_id(filesystem_id_salt: bytes) -> str:
    """A stable name for an instance, derived one way from its salt (which it never reveals)."""
    return hashlib.sha256(b"sealdrop instance id\0" + filesystem_id_salt).hexdigest()[:32]


def check_member_name(name: str) -> str:
    """`name` if a Sealdrop archive may hold it; ArchiveInvalid if not (`..`, absolute, other)."""
    if not _MEMBER.fullmatch(name) or ".." in name.split("/"):
        raise ArchiveInvalid(f"the archive holds {name[:80]!r}, which no Sealdrop backup has")
    return name


@dataclass(frozen=True)
class FileEntry:
    size: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    """What an archive holds: enough to verify every byte and every count after a restore."""

    instance_id: str
    schema_revision: str
    database: str  # the member name of the database: SQLITE_NAME or PGDUMP_NAME
    counts: Mapping[str, int]
    files: Mapping[str, FileEntry]
    day: str  # the UTC day the backup ran; the archive's name has the time
    format_version: int = FORMAT_VERSION

    @property
    def data_files(self) -> int:
        """How many files the data directory gets back (the format marker is not one)."""
        return len(self.files.keys() - {FORMAT_NAME})

    def to_json(self) -> bytes:
        document = {
            "format": "sealdrop-backup",
            "format_version": self.format_version,
            "instance_id": self.instance_id,
            "schema_revision": self.schema_revision,
            "database": self.database,
            "day": self.day,
            "counts": dict(self.counts),
            "files": {
                name: {"size": entry.size, "sha256": entry.sha256}
                for name, entry in sorted(self.files.items())
            },
        }
        return (json.dumps(document, indent=1, sort_keys=True) + "\n").encode()

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        try:
            raw: Any = json.loads(data)
            if raw.get("format") != "sealdrop-backup" or raw["format_version"] != FORMAT_VERSION:
                raise ArchiveInvalid("the manifest is not of a backup format this version reads")
            files = {
                check_member_name(str(name)): FileEntry(int(v["size"]), str(v["sha256"]))
                for name, v in raw["files"].items()
            }
            counts = {table: int(raw["counts"][table]) for table in COUNTED_TABLES}
            database = str(raw["database"])
            if database not in (SQLITE_NAME, PGDUMP_NAME) or database not in files:
                raise ArchiveInvalid("the manifest names no database the archive holds")
            return cls(
                instance_id=str(raw["instance_id"]),
                schema_revision=str(raw["schema_revision"]),
                database=database,
                counts=counts,
                files=files,
                day=str(raw["day"]),
            )
        except ArchiveInvalid:
            raise
        except (ValueError, KeyError, TypeError, AttributeError):
            raise ArchiveInvalid("the manifest is damaged: not the JSON a backup writes") from None
