"""What journalists carry over, opened as a list of items: a bundle, a zip or a folder of .gpg.

Everything here is hostile until checked. A Sealdrop bundle is checked by the core's bundle
reader (manifest, names, sizes, sha256 of each entry). A plain zip or folder is checked entry by
entry: unsafe paths, links, zip-encrypted entries and names that are not SecureDrop item names
are refused one by one with a reason, and a zip entry that inflates beyond its ratio or the
total budget is cut off while it streams (a zip bomb never reaches the disk).
"""

from __future__ import annotations

import contextlib
import os
import stat
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from reader.names import ItemName, designation_for, parse_item_name, shown, shown_path
from sealdrop.bundle.format import CHUNK_BYTES, MANIFEST_NAME, BundleEntry
from sealdrop.bundle.reader import Bundle, open_bundle
from sealdrop.domain.items import Kind
from sealdrop.errors import BundleInvalid, ReaderRefused

# OpenPGP ciphertexts do not compress: a real zip of them inflates about 1:1. Past this ratio an
# entry is a bomb, not a submission.
MAX_ZIP_RATIO = 20
ZIP_RATIO_SLACK = 1 << 20  # tiny entries may legitimately have odd ratios
MAX_ZIP_TOTAL = 64 << 30  # all entries of one zip together, inflated
MAX_ZIP_ENTRIES = 100_000

Chunks = Iterator[bytes]


@dataclass(frozen=True)
class Carried:
    """One encrypted item found in what was carried over, not yet read."""

    label: str  # where it came from, already safe to show
    designation: str
    number: int
    kind: Kind
    open: Callable[[], contextlib.AbstractContextManager[Chunks]]
    sha256: str | None = None  # known in advance for bundle entries
    source_uuid: str | None = None
    item_uuid: str | None = None


@dataclass(frozen=True)
class Refused:
    """An entry refused before decryption, with the reason to show."""

    label: str
    reason: str


@dataclass
class Carrier:
    """The items of one carried path, and the entries refused while listing it."""

    kind: str  # "bundle", "zip" or "folder"
    items: list[Carried] = field(default_factory=list)
    refused: list[Refused] = field(default_factory=list)


@contextlib.contextmanager
def open_carrier(path: Path) -> Iterator[Carrier]:
    """List what `path` holds; ReaderRefused or BundleInvalid if it cannot be read at all."""
    if path.is_symlink():
        raise ReaderRefused(f"{shown(str(path))} is a symbolic link; give the real path.")
    if path.is_dir():
        yield _folder(path)
        return
    if not path.is_file():
        raise ReaderRefused(f"{shown(str(path))} is not a file or folder the reader can open.")
    if path.name.endswith(".gpg"):
        yield _folder_items(path.parent, [path])
        return
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise BundleInvalid(
            f"{shown(path.name)} is not a bundle or zip, or it is damaged or cut short."
        ) from None
    with archive:
        names = archive.namelist()
        if len(names) > MAX_ZIP_ENTRIES:
            raise ReaderRefused(f"{shown(path.name)} holds too many entries ({len(names)}).")
        if MANIFEST_NAME in names:
            with open_bundle(path) as bundle:
                yield _bundle(bundle)
        else:
            yield _zip(archive)


def _bundle(bundle: Bundle) -> Carrier:
    carrier = Carrier("bundle")
    for entry in bundle.entries:

        @contextlib.contextmanager
        def opened(entry: BundleEntry = entry) -> Iterator[Chunks]:
            yield bundle.chunks(entry)

        carrier.items.append(
            Carried(
                label=shown_path(entry.path),
                designation=entry.source.designation,
                number=entry.interaction,
                kind=entry.kind,
                open=opened,
                sha256=entry.sha256,
                source_uuid=entry.source.uuid,
                item_uuid=entry.uuid,
            )
        )
    return carrier


def _folder(root: Path) -> Carrier:
    carrier = Carrier("folder")
    found: list[Path] = []
    for here, dirs, files in os.walk(root, followlinks=False):
        for name in sorted(dirs):
            if (Path(here) / name).is_symlink():
                label = shown_path(str((Path(here) / name).relative_to(root)))
                carrier.refused.append(Refused(label, "a symbolic link; links are never followed"))
        dirs.sort()
        found.extend(Path(here) / name for name in sorted(files))
    listed = _folder_items(root, found)
    carrier.items, carrier.refused = listed.items, carrier.refused + listed.refused
    return carrier


def _folder_items(root: Path, paths: list[Path]) -> Carrier:
    carrier = Carrier("folder")
    for path in paths:
        relative = path.relative_to(root)
        label = shown_path(str(relative))
        mode = path.lstat().st_mode
        if stat.S_ISLNK(mode):
            carrier.refused.append(Refused(label, "a symbolic link; links are never followed"))
            continue
        if not stat.S_ISREG(mode):
            carrier.refused.append(Refused(label, "not a regular file"))
            continue
        refusal = _name_refusal(relative.parts, label)
        if isinstance(refusal, Refused):
            carrier.refused.append(refusal)
            continue
        designation, parsed = refusal
        carrier.items.append(
            Carried(label, designation, parsed.number, parsed.kind, _file_opener(path))
        )
    return carrier


def _name_refusal(parts: tuple[str, ...], label: str) -> Refused | tuple[str, ItemName]:
    parsed = parse_item_name(parts[-1])
    if parsed is None:
        return Refused(label, "not a SecureDrop item name (<n>-<designation>-msg.gpg, ...)")
    designation = designation_for(parsed, list(parts[:-1]))
    if designation is None:
        return Refused(label, "its source cannot be told (put it in its designation's folder)")
    return designation, parsed


def _file_opener(path: Path) -> Callable[[], contextlib.AbstractContextManager[Chunks]]:
    @contextlib.contextmanager
    def opened() -> Iterator[Chunks]:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb") as handle:
            yield iter(lambda: handle.read(CHUNK_BYTES), b"")

    return opened


def _zip(archive: zipfile.ZipFile) -> Carrier:
    carrier = Carrier("zip")
    budget = _ZipBudget()
    for info in archive.infolist():
        if info.is_dir():
            continue
        label = shown_path(info.orig_filename)
        reason = _zip_entry_refusal(info)
        if reason:
            carrier.refused.append(Refused(label, reason))
            continue
        refusal = _name_refusal(PurePosixPath(info.filename).parts, label)
        if isinstance(refusal, Refused):
            carrier.refused.append(refusal)
            continue
        designation, parsed = refusal
        carrier.items.append(
            Carried(
                label,
                designation,
                parsed.number,
                parsed.kind,
                _zip_opener(archive, info, budget),
            )
        )
    return carrier


def _zip_entry_refusal(info: zipfile.ZipInfo) -> str | None:
    name = info.orig_filename
    parts = name.replace("\\", "/").split("/")
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return "an absolute path; refused"
    if ".." in parts or "\\" in name or "\x00" in name or name != info.filename:
        return "a path that would leave its folder (path traversal); refused"
    if stat.S_ISLNK(info.external_attr >> 16):
        return "a symbolic link; links are never followed"
    if info.flag_bits & 0x1:
        return "encrypted by zip; the reader cannot open it"
    return None


class _ZipBudget:
    """What all entries of one zip may inflate to together."""

    def __init__(self) -> None:
        self.left = MAX_ZIP_TOTAL


def _zip_opener(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: _ZipBudget
) -> Callable[[], contextlib.AbstractContextManager[Chunks]]:
    ceiling = info.compress_size * MAX_ZIP_RATIO + ZIP_RATIO_SLACK

    def chunks() -> Chunks:
        read = 0
        try:
            with archive.open(info) as data:
                while chunk := data.read(CHUNK_BYTES):
                    read += len(chunk)
                    budget.left -= len(chunk)
                    if read > ceiling:
                        raise ReaderRefused("it inflates far beyond its size (a zip bomb); refused")
                    if budget.left < 0:
                        raise ReaderRefused("the zip inflates beyond the reader's limit; refused")
                    yield chunk
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
            raise ReaderRefused(f"the zip entry is damaged ({error.__class__.__name__})") from None

    @contextlib.contextmanager
    def opened() -> Iterator[Chunks]:
        yield chunks()

    return opened
