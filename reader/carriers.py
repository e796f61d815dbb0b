"""What journalists carry over, opened as a list of items: a bundle, a zip or a folder of .gpg.

Everything here is hostile until checked. A Sealdrop bundle is checked by the core's bundle
reader (manifest, names, sizes, sha256 of each entry). A plain zip or folder is checked entry by
entry: unsafe paths, links, zip-encrypted entries and names that are not SecureDrop item names
are refused one by one with a reason, and a zip entry that inflates beyond its ratio or the
total budget is cut off while it streams (a zip bomb never reaches the disk). A bundle or zip
cut short has no zip directory: its whole entries are recovered from the start (reader.salvage)
and the import is marked partial.
"""

from __future__ import annotations

import contextlib
import os
import stat
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from reader.carried import Carried, Carrier, Chunks, Refused, Spans, name_refusal
from reader.names import shown, shown_path
from reader.salvage import salvage
from reader.zip_rules import (
    BOMB,
    MAX_ZIP_ENTRIES,
    OVER_BUDGET,
    ZipBudget,
    inflate_ceiling,
    zip_entry_refusal,
)
from reader.zip_walk import LOCAL_SIGNATURE
from sealdrop.bundle.format import CHUNK_BYTES, MANIFEST_NAME, BundleEntry
from sealdrop.bundle.reader import Bundle, open_bundle
from sealdrop.crypto.submission_key import FileSpan
from sealdrop.errors import BundleInvalid, ReaderRefused

__all__ = ["Carried", "Carrier", "Chunks", "Refused", "open_carrier"]


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
        # No zip directory: a zip cut short still has its first entries whole. Walk them.
        with _zip_start(path) as handle:
            yield salvage(handle)
        return
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

        @contextlib.contextmanager
        def spans(entry: BundleEntry = entry) -> Iterator[Spans]:
            fd = bundle.fileno()
            yield (FileSpan(fd, span.offset, span.length) for span in bundle.spans(entry))

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
                spans=spans,
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
        refusal = name_refusal(relative.parts, label)
        if isinstance(refusal, Refused):
            carrier.refused.append(refusal)
            continue
        designation, parsed = refusal
        carrier.items.append(
            Carried(label, designation, parsed.number, parsed.kind, _file_opener(path))
        )
    return carrier


def _file_opener(path: Path) -> Callable[[], contextlib.AbstractContextManager[Chunks]]:
    @contextlib.contextmanager
    def opened() -> Iterator[Chunks]:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb") as handle:
            yield iter(lambda: handle.read(CHUNK_BYTES), b"")

    return opened


def _zip(archive: zipfile.ZipFile) -> Carrier:
    carrier = Carrier("zip")
    budget = ZipBudget()
    for info in archive.infolist():
        if info.is_dir():
            continue
        label = shown_path(info.orig_filename)
        reason = zip_entry_refusal(info)
        if reason:
            carrier.refused.append(Refused(label, reason))
            continue
        refusal = name_refusal(PurePosixPath(info.filename).parts, label)
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


def _zip_opener(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: ZipBudget
) -> Callable[[], contextlib.AbstractContextManager[Chunks]]:
    ceiling = inflate_ceiling(info.compress_size)

    def chunks() -> Chunks:
        read = 0
        try:
            with archive.open(info) as data:
                while chunk := data.read(CHUNK_BYTES):
                    read += len(chunk)
                    budget.left -= len(chunk)
                    if read > ceiling:
                        raise ReaderRefused(BOMB)
                    if budget.left < 0:
                        raise ReaderRefused(OVER_BUDGET)
                    yield chunk
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
            raise ReaderRefused(f"the zip entry is damaged ({error.__class__.__name__})") from None

    @contextlib.contextmanager
    def opened() -> Iterator[Chunks]:
        yield chunks()

    return opened


@contextlib.contextmanager
def _zip_start(path: Path) -> Iterator[BinaryIO]:
    """The file, if it starts as a zip does; else the refusal of a file that is not one."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(fd, "rb") as handle:
        if handle.read(len(LOCAL_SIGNATURE)) != LOCAL_SIGNATURE:
            raise BundleInvalid(
                f"{shown(path.name)} is not a bundle or zip, or it is damaged or cut short."
            )
        yield handle
