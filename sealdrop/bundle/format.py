"""The bundle's names and its manifest: what a version-1 bundle holds, written and parsed strictly.

A bundle is a stored (uncompressed) zip: `<designation>/<n>-<designation-with-hyphens>-<kind>.gpg`
for each item, then `manifest.json`. The full description is docs/bundle-format.md.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sealdrop.domain.designations import DESIGNATION_PATTERN
from sealdrop.domain.items import Kind, item_filename
from sealdrop.errors import BundleInvalid

FORMAT_NAME = "sealdrop-bundle"
FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
# About 400 bytes an item: 8 MiB is some 20,000 items, more than anyone downloads at once, and
# small enough that a hostile manifest costs the reader little memory.
MANIFEST_MAX_BYTES = 8 << 20
# Every zip entry carries this date (the zip format's earliest): no entry tells when it was made.
ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)
# Read and written in pieces of this size, so memory stays flat however large an item is.
CHUNK_BYTES = 1 << 20

UUID_PATTERN = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
SHA256_PATTERN = re.compile(r"^[0-9a-f]{64}$")
DAY_PATTERN = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_SHOWN_CHARS = 80
_MANIFEST_KEYS = {"format", "version", "instance", "created", "sources", "entries"}
_SOURCE_KEYS = {"uuid", "designation"}
_ENTRY_KEYS = {"path", "kind", "interaction", "size", "sha256", "uuid", "source"}


@dataclass(frozen=True)
class BundleSource:
    """A source as the bundle names it: its uuid and journalist designation ('amber heron')."""

    uuid: str
    designation: str


@dataclass(frozen=True)
class BundleEntry:
    """One ciphertext in the bundle: where it is, what it holds, and how to check its bytes."""

    path: str
    kind: Kind
    interaction: int
    size: int
    sha256: str
    uuid: str
    source: BundleSource


@dataclass(frozen=True)
class Manifest:
    """The bundle's table of contents; `created` is a day, never a moment."""

    instance: str
    created: dt.date
    sources: tuple[BundleSource, ...]
    entries: tuple[BundleEntry, ...]


def entry_path(designation: str, interaction: int, kind: Kind) -> str:
    """'amber heron', 3, MESSAGE -> 'amber heron/3-amber-heron-msg.gpg'.

    The folder is the designation itself, space included, as in SecureDrop's bulk download: it is
    unique per source, where its hyphenated form might not be if a word list ever held a hyphen.
    """
    return f"{designation}/{item_filename(interaction, designation, kind)}"


def manifest_bytes(manifest: Manifest) -> bytes:
    """The manifest as written into a bundle: UTF-8 JSON, keys sorted, one value per line."""
    document = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "instance": manifest.instance,
        "created": manifest.created.isoformat(),
        "sources": [{"uuid": s.uuid, "designation": s.designation} for s in manifest.sources],
        "entries": [
            {
                "path": e.path,
                "kind": e.kind.value,
                "interaction": e.interaction,
                "size": e.size,
                "sha256": e.sha256,
                "uuid": e.uuid,
                "source": e.source.uuid,
            }
            for e in manifest.entries
        ],
    }
    return json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False).encode("utf-8")


def parse_manifest(data: bytes) -> Manifest:
    """Check every field of a manifest read from an untrusted bundle; raise BundleInvalid."""
    if len(data) > MANIFEST_MAX_BYTES:
        raise BundleInvalid("The bundle's manifest is too large; this is not a Sealdrop bundle.")
    try:
        document = json.loads(data.decode("utf-8"), object_pairs_hook=_no_duplicate_keys)
    except (ValueError, RecursionError):
        raise BundleInvalid(
            "The bundle's manifest is not valid JSON; the file is damaged."
        ) from None
    top = _object(document, _MANIFEST_KEYS, "the manifest")
    if top["format"] != FORMAT_NAME:
        raise BundleInvalid("This is not a Sealdrop bundle (its manifest names another format).")
    if type(top["version"]) is not int or top["version"] != FORMAT_VERSION:
        raise BundleInvalid(
            f"This bundle has format version {shown(top['version'])}; this reader knows version "
            f"{FORMAT_VERSION} only. Use a reader as recent as the server that made the bundle."
        )
    sources = _sources(_list(top["sources"], "sources"))
    by_uuid = {source.uuid: source for source in sources}
    entries = tuple(_entry(raw, by_uuid) for raw in _list(top["entries"], "entries"))
    _unique([e.path for e in entries], "entry path")
    _unique([e.uuid for e in entries], "item uuid")
    return Manifest(
        instance=_string(top["instance"], "instance"),
        created=_day(top["created"]),
        sources=sources,
        entries=entries,
    )


def shown(value: object) -> str:
    """A value from an untrusted bundle, cut short, for an error message."""
    text = repr(value)
    return text if len(text) <= _SHOWN_CHARS else f"{text[:_SHOWN_CHARS]}…"


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        raise BundleInvalid("The bundle's manifest repeats a key; the file is damaged.")
    return dict(pairs)


def _object(value: object, keys: set[str], what: str) -> dict[str, Any]:
    if not isinstance(value, dict) or set(value) != keys:
        raise BundleInvalid(f"The bundle's manifest is malformed ({what} has the wrong fields).")
    return value


def _list(value: object, what: str) -> list[object]:
    if not isinstance(value, list):
        raise BundleInvalid(f"The bundle's manifest is malformed ({what} is not a list).")
    return value


def _string(value: object, what: str, pattern: re.Pattern[str] | None = None) -> str:
    if not isinstance(value, str) or (pattern is not None and not pattern.fullmatch(value)):
        raise BundleInvalid(f"The bundle's manifest is malformed (a bad {what}).")
    return value


def _count(value: object, what: str, minimum: int) -> int:
    # bool is an int in Python; JSON's true must not pass for 1.
    if type(value) is not int or value < minimum:
        raise BundleInvalid(f"The bundle's manifest is malformed (a bad {what}).")
    return value


def _day(value: object) -> dt.date:
    text = _string(value, "creation date", DAY_PATTERN)
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise BundleInvalid("The bundle's manifest is malformed (a bad creation date).") from None


def _sources(raw: Sequence[object]) -> tuple[BundleSource, ...]:
    sources = []
    for item in raw:
        fields = _object(item, _SOURCE_KEYS, "a source")
        sources.append(
            BundleSource(
                uuid=_string(fields["uuid"], "source uuid", UUID_PATTERN),
                designation=_string(fields["designation"], "designation", DESIGNATION_PATTERN),
            )
        )
    _unique([s.uuid for s in sources], "source uuid")
    _unique([s.designation for s in sources], "designation")
    return tuple(sources)


def _entry(raw: object, sources: dict[str, BundleSource]) -> BundleEntry:
    fields = _object(raw, _ENTRY_KEYS, "an entry")
    source = sources.get(_string(fields["source"], "source uuid", UUID_PATTERN))
    if source is None:
        raise BundleInvalid("The bundle's manifest is malformed (an entry of an unlisted source).")
    try:
        kind = Kind(fields["kind"])
    except ValueError:
        raise BundleInvalid("The bundle's manifest is malformed (an unknown kind).") from None
    interaction = _count(fields["interaction"], "interaction number", 1)
    path = _string(fields["path"], "path")
    # The path is not trusted as given: it must be exactly the name its other fields make.
    if path != entry_path(source.designation, interaction, kind):
        raise BundleInvalid(f"The bundle's manifest names an unexpected path ({shown(path)}).")
    return BundleEntry(
        path=path,
        kind=kind,
        interaction=interaction,
        size=_count(fields["size"], "size", 0),
        sha256=_string(fields["sha256"], "sha256", SHA256_PATTERN),
        uuid=_string(fields["uuid"], "item uuid", UUID_PATTERN),
        source=source,
    )


def _unique(values: Sequence[str], what: str) -> None:
    if len(set(values)) != len(values):
        raise BundleInvalid(f"The bundle's manifest lists a {what} twice; the file is damaged.")
