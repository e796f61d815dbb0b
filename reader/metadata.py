"""Metadata of an untrusted file: what mat2 finds in it, and a cleaned copy beside the original.

mat2 comes from Debian (`apt install mat2`, see scripts/install-system-deps.sh), not from PyPI:
its parsers need PyGObject, GdkPixbuf, Poppler and cairo, which PyPI can only give by compiling
PyGObject against the system's GObject libraries (a compiler, -dev packages, and a build that
breaks whenever those move). Debian ships them built and tested together for Debian's own
python3. So libmat2 never runs inside the project's venv: each file is handed to
reader/mat2_worker.py, run by Debian's /usr/bin/python3 in a process of its own, with a time
limit, a memory limit and no core dumps. That process boundary is also the defence: a file made
to hang, exhaust or crash a parser costs one child process, never the reader.
"""

from __future__ import annotations

import stat
from pathlib import Path

from reader.filenames import split_extension
from reader.mat2_runner import WORKER, link, run_worker, scratch, workdir
from reader.metadata_results import (
    DEFAULT_LIMITS,
    CleanResult,
    Finding,
    Limits,
    MetadataReport,
    MiB,
    Outcome,
    Problem,
    failure,
)

__all__ = [
    "DEFAULT_LIMITS", "WORKER", "CleanResult", "Finding", "Limits", "MetadataReport", "Outcome",
    "Problem", "clean", "report",
]  # fmt: skip


def report(
    path: Path, *, type_name: str | None = None, limits: Limits = DEFAULT_LIMITS
) -> MetadataReport:
    """The metadata of `path` as mat2 sees it; never raises for anything the file holds.

    mat2 picks its parser by file extension, so `type_name` (the untrusted original name, of which
    only a plausible extension is used) says what the file claims to be when the stored name
    does not. A file that is not what it claims is reported as malformed.
    """
    refused = _precheck(path, limits)
    if refused is not None:
        return MetadataReport(path, refused)
    extension = split_extension(type_name if type_name is not None else path.name)[1]
    with workdir(scratch()) as work:
        linked = link(path, work, extension)
        return MetadataReport(path, run_worker(limits, work, ["report", str(linked)]))


def clean(
    original: Path,
    destination: Path,
    *,
    type_name: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
    replace: bool = False,
) -> CleanResult:
    """Write a copy of `original` without the metadata mat2 can remove to `destination` (0600).

    The original is only ever read. An existing destination is refused unless `replace` (for a
    name the caller has just reserved); a destination that is the original itself always is.
    The copy is written beside the destination first and renamed into place, so a failure
    leaves nothing behind. Formats mat2 does not support get no copy (Problem.UNSUPPORTED).
    """
    refused = _precheck(original, limits)
    if refused is not None:
        return CleanResult(original, destination, refused)
    if destination.exists() and (not replace or destination.samefile(original)):
        return CleanResult(original, destination, failure(Problem.DESTINATION_EXISTS))
    extension = split_extension(type_name if type_name is not None else original.name)[1]
    # The link and the parser's scratch files stay in a private temporary directory; only the
    # cleaned bytes are written beside the destination (which may be a FAT drive: no links).
    with workdir(scratch()) as work, workdir(destination.parent) as beside:
        linked = link(original, work, extension)
        output = beside / f"cleaned{extension}"
        outcome = run_worker(limits, work, ["clean", str(linked), str(output)])
        if outcome.ok and not output.is_file():
            outcome = failure(Problem.MALFORMED, outcome.mime_type, "mat2 wrote no copy")
        if outcome.ok:
            output.chmod(0o600)
            output.replace(destination)
    return CleanResult(original, destination, outcome)


def _precheck(path: Path, limits: Limits) -> Outcome | None:
    """Refuse what needs no parser to refuse: missing, not a regular file, empty, too large."""
    try:
        info = path.stat()
    except OSError as error:
        return failure(Problem.NOT_A_FILE, detail=error.strerror or "")
    if not stat.S_ISREG(info.st_mode):
        return failure(Problem.NOT_A_FILE)
    if info.st_size == 0:
        return failure(Problem.EMPTY)
    if info.st_size > limits.max_input_bytes:
        return failure(Problem.TOO_LARGE, limit=limits.max_input_bytes // MiB)
    return None
