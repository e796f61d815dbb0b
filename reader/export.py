"""Export: a cleaned copy (or, asked for explicitly, the original) into a chosen folder.

The folder is typically an export drive. Names come from what the source called the file, made
safe (reader.filenames) and never reused: a second "report.pdf" becomes "report (2).pdf". Files are
created 0600 and flushed to the drive before the export is reported done.
"""

from __future__ import annotations

import contextlib
import enum
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from reader import metadata
from reader.filenames import numbered, safe_name
from reader.names import shown, shown_path
from sealdrop.errors import SealdropError

__all__ = [
    "ExportRefused",
    "Exported",
    "Variant",
    "check_destination",
    "export_cleaned",
    "export_original",
    "safe_name",
]

MAX_COPIES = 1000  # "report (1000).pdf" is far past any real use; stop before looping forever
_CHUNK = 1024 * 1024


class ExportRefused(SealdropError):
    """The export did not happen (no such folder, a format mat2 cannot clean, a full drive);
    the message says why, and nothing was left half-written in the folder."""


class Variant(enum.Enum):
    CLEANED = "cleaned"
    ORIGINAL = "original"


@dataclass(frozen=True)
class Exported:
    """Where the copy went, under which name, and whether it was cleaned."""

    source: Path
    destination: Path
    variant: Variant


def check_destination(folder: Path) -> Path:
    """The folder itself, if it exists and is a writable directory; otherwise ExportRefused."""
    named = shown_path(str(folder))
    if not folder.exists():
        raise ExportRefused(f"The export folder {named} does not exist; is the drive plugged in?")
    if not folder.is_dir():
        raise ExportRefused(f"The export destination {named} is not a folder.")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ExportRefused(f"The export folder {named} is not writable (a read-only drive?).")
    return folder


def export_cleaned(
    original: Path,
    *,
    name: str,
    folder: Path,
    limits: metadata.Limits = metadata.DEFAULT_LIMITS,
) -> Exported:
    """Write a copy without the metadata mat2 can remove, named after `name` (untrusted).

    A format mat2 cannot clean is refused with the report's sentence: then only an explicit
    export of the original is possible.
    """
    check_destination(folder)
    target = _reserve(folder, safe_name(name))
    try:
        result = metadata.clean(original, target, type_name=name, limits=limits, replace=True)
        if not result.cleaned:
            raise ExportRefused(f"No cleaned copy of {shown(name)}: {result.sentence}")
        _flush(target)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return Exported(original, target, Variant.CLEANED)


def export_original(original: Path, *, name: str, folder: Path) -> Exported:
    """Copy the file exactly as the source sent it, metadata and all (only when asked for)."""
    check_destination(folder)
    target = _reserve(folder, safe_name(name))
    try:
        with original.open("rb") as reading, target.open("r+b") as writing:
            shutil.copyfileobj(reading, writing, _CHUNK)
        _flush(target)
    except OSError as error:
        target.unlink(missing_ok=True)
        raise ExportRefused(
            f"Could not export {shown(name)}: {error.strerror or error}."
        ) from error
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return Exported(original, target, Variant.ORIGINAL)


def _reserve(folder: Path, name: str) -> Path:
    """Create an empty 0600 file under the first free name: O_EXCL, so nothing is overwritten,
    not even a file that appears while we look."""
    for number in range(1, MAX_COPIES + 1):
        target = folder / numbered(name, number)
        try:
            descriptor = os.open(
                target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600
            )
        except FileExistsError:
            continue
        except OSError as error:
            raise ExportRefused(
                f"Could not create {shown(target.name)} in the export folder: "
                f"{error.strerror or error}."
            ) from error
        os.close(descriptor)
        return target
    raise ExportRefused(f"The export folder already holds {MAX_COPIES} copies of {name}.")


def _flush(target: Path) -> None:
    """Make the copy and its name durable: a drive pulled right after must hold the whole file."""
    target.chmod(0o600)
    with target.open("rb") as handle:
        os.fsync(handle.fileno())
    descriptor = os.open(target.parent, os.O_RDONLY)
    try:
        with contextlib.suppress(OSError):  # some file systems (FAT over FUSE) refuse a dir fsync
            os.fsync(descriptor)
    finally:
        os.close(descriptor)
