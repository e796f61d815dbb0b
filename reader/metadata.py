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

import contextlib
import enum
import json
import os
import shutil
import signal
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from reader.filenames import split_extension

WORKER = Path(__file__).with_name("mat2_worker.py")
MiB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """What one mat2 run may use. The defaults fit documents and photos on a modest laptop."""

    python: Path = Path("/usr/bin/python3")  # the interpreter Debian's mat2 package is built for
    timeout_seconds: float = 60.0
    memory_bytes: int = 1536 * MiB  # address space: Poppler renders each PDF page to clean it
    max_input_bytes: int = 2048 * MiB
    max_output_bytes: int = 4096 * MiB  # a cleaned PDF is made of page images, so it can grow


DEFAULT_LIMITS = Limits()


class Problem(enum.Enum):
    """Why there is no report (or no cleaned copy); each has a sentence for the journalist."""

    NOT_A_FILE = "not-a-file"
    EMPTY = "empty"
    TOO_LARGE = "too-large"
    UNSUPPORTED = "unsupported"
    MALFORMED = "malformed"
    TOO_DEMANDING = "too-demanding"
    TIMED_OUT = "timed-out"
    CRASHED = "crashed"
    UNAVAILABLE = "unavailable"
    DESTINATION_EXISTS = "destination-exists"


_SENTENCES = {
    Problem.NOT_A_FILE: "This is not a regular file, so it was not inspected.",
    Problem.EMPTY: "The file is empty: it holds no metadata and nothing to clean.",
    Problem.TOO_LARGE: "The file is larger than the {limit} MiB the metadata check accepts.",
    Problem.UNSUPPORTED: (
        "Unknown format: mat2 cannot read this type of file ({mime}), so its metadata is "
        "unknown and no cleaned copy can be made."
    ),
    Problem.MALFORMED: (
        "mat2 could not read this file: it is damaged, truncated or not what its name says."
    ),
    Problem.TOO_DEMANDING: "Reading this file needed more than the {limit} MiB of memory allowed.",
    Problem.TIMED_OUT: "Reading this file took longer than {limit} seconds and was stopped.",
    Problem.CRASHED: "The metadata reader stopped abnormally on this file (signal {signal}).",
    Problem.UNAVAILABLE: (
        "mat2 could not be started (is Debian's mat2 package installed?), so the metadata of "
        "this file is unknown."
    ),
    Problem.DESTINATION_EXISTS: "A file already exists where the cleaned copy was to be written.",
}


@dataclass(frozen=True)
class Finding:
    """One metadata field; `part` names the member of an archive or document it came from."""

    part: str
    key: str
    value: str


@dataclass(frozen=True)
class Outcome:
    """What one mat2 run gave: a MIME type and findings, or the problem that stopped it."""

    mime_type: str | None
    findings: tuple[Finding, ...] = ()
    problem: Problem | None = None
    sentence: str = ""
    detail: str = field(default="", compare=False)  # the parser's own words, for the curious

    @property
    def ok(self) -> bool:
        return self.problem is None


@dataclass(frozen=True)
class MetadataReport:
    """The metadata mat2 found in a file, or why it could not look."""

    path: Path
    outcome: Outcome

    @property
    def findings(self) -> tuple[Finding, ...]:
        return self.outcome.findings

    @property
    def problem(self) -> Problem | None:
        return self.outcome.problem

    @property
    def mime_type(self) -> str | None:
        return self.outcome.mime_type

    @property
    def sentence(self) -> str:
        if self.outcome.problem is not None:
            return self.outcome.sentence
        if not self.outcome.findings:
            return "mat2 found no metadata in this file."
        count = len(self.outcome.findings)
        return f"mat2 found {count} metadata field{'s' if count != 1 else ''} in this file."


@dataclass(frozen=True)
class CleanResult:
    """A cleaned copy written to `destination`, or the problem that prevented it."""

    original: Path
    destination: Path
    outcome: Outcome

    @property
    def cleaned(self) -> bool:
        return self.outcome.problem is None

    @property
    def sentence(self) -> str:
        if self.outcome.problem is not None:
            return self.outcome.sentence
        return "A cleaned copy was written; the original is unchanged."


def _failure(
    problem: Problem, mime: str | None = None, detail: str = "", **words: object
) -> Outcome:
    sentence = _SENTENCES[problem].format(mime=mime or "type unknown", **words)
    return Outcome(mime_type=mime, problem=problem, sentence=sentence, detail=detail)


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
    with _workdir(_scratch()) as work:
        linked = _link(path, work, extension)
        return MetadataReport(path, _run_worker(limits, work, ["report", str(linked)]))


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
        return CleanResult(original, destination, _failure(Problem.DESTINATION_EXISTS))
    extension = split_extension(type_name if type_name is not None else original.name)[1]
    # The link and the parser's scratch files stay in a private temporary directory; only the
    # cleaned bytes are written beside the destination (which may be a FAT drive: no links).
    with _workdir(_scratch()) as work, _workdir(destination.parent) as beside:
        linked = _link(original, work, extension)
        output = beside / f"cleaned{extension}"
        outcome = _run_worker(limits, work, ["clean", str(linked), str(output)])
        if outcome.ok and not output.is_file():
            outcome = _failure(Problem.MALFORMED, outcome.mime_type, "mat2 wrote no copy")
        if outcome.ok:
            output.chmod(0o600)
            output.replace(destination)
    return CleanResult(original, destination, outcome)


def _precheck(path: Path, limits: Limits) -> Outcome | None:
    """Refuse what needs no parser to refuse: missing, not a regular file, empty, too large."""
    try:
        info = path.stat()
    except OSError as error:
        return _failure(Problem.NOT_A_FILE, detail=error.strerror or "")
    if not stat.S_ISREG(info.st_mode):
        return _failure(Problem.NOT_A_FILE)
    if info.st_size == 0:
        return _failure(Problem.EMPTY)
    if info.st_size > limits.max_input_bytes:
        return _failure(Problem.TOO_LARGE, limit=limits.max_input_bytes // MiB)
    return None


def _scratch() -> Path:
    """Where a run's private directory goes: the usual temporary directory, except under /dev.

    mat2's bubblewrap sandbox mounts a fresh /dev, so a link to the file under /dev/shm could
    not be recreated inside it and every file would look unreadable.
    """
    usual = Path(tempfile.gettempdir())
    return Path("/tmp") if usual.is_relative_to("/dev") else usual  # noqa: S108 (see above)


@contextlib.contextmanager
def _workdir(parent: Path) -> Iterator[Path]:
    """A private directory (0700) for one run, removed with whatever it holds."""
    work = Path(tempfile.mkdtemp(prefix=".sealdrop-mat2-", dir=parent))
    try:
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _link(path: Path, work: Path, extension: str) -> Path:
    """Name the file for mat2, which picks its parser by extension, without copying it.

    The link lives outside the worker's current directory: mat2 mounts that directory in its
    bubblewrap sandbox, where a link to a path outside the sandbox would dangle.
    """
    (work / "in").mkdir()
    linked = work / "in" / f"file{extension}"
    linked.symlink_to(path.resolve())
    return linked


def _run_worker(limits: Limits, work: Path, arguments: list[str]) -> Outcome:
    """Run mat2_worker.py in its own session; on timeout kill the whole group (exiftool too)."""
    if not limits.python.exists():
        return _failure(Problem.UNAVAILABLE, detail=f"{limits.python} is missing")
    cpu_seconds = int(limits.timeout_seconds) + 1
    command = [
        str(limits.python), "-I", "-B", str(WORKER),
        str(limits.memory_bytes), str(cpu_seconds), str(limits.max_output_bytes), *arguments,
    ]  # fmt: skip
    # A minimal environment: nothing of the reader's (paths, keys, display) reaches the parsers,
    # and their temporary files stay in the private work directory.
    run = work / "run"
    run.mkdir()
    env = {"PATH": "/usr/bin:/bin", "HOME": str(run), "TMPDIR": str(run), "LANG": "C.UTF-8"}
    process = subprocess.Popen(  # noqa: S603 (a fixed interpreter and our own script)
        command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        cwd=run, env=env, start_new_session=True,
    )  # fmt: skip
    try:
        stdout, stderr = process.communicate(timeout=limits.timeout_seconds)
    except subprocess.TimeoutExpired:
        # Not reaped yet, so the group id is still the worker's: kill it with its exiftool.
        _kill_group(process)
        return _failure(Problem.TIMED_OUT, limit=f"{limits.timeout_seconds:g}")
    # A worker that answered has waited for what it started; once reaped, its group id could
    # belong to someone else, so there is nothing more to kill here.
    return _interpret(process.returncode, stdout, stderr, limits)


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.communicate()


def _interpret(returncode: int, stdout: bytes, stderr: bytes, limits: Limits) -> Outcome:
    if returncode == -signal.SIGXCPU:
        return _failure(Problem.TIMED_OUT, limit=f"{limits.timeout_seconds:g}")
    try:
        answer = json.loads(stdout)
        outcome = str(answer["outcome"])
        mime = answer.get("mime")
        detail = str(answer.get("detail", ""))
    except (ValueError, KeyError, TypeError):
        if returncode < 0:
            name = signal.Signals(-returncode).name
            return _failure(Problem.CRASHED, detail=stderr[-500:].decode(errors="replace"),
                            signal=name)  # fmt: skip
        if b"MemoryError" in stderr:
            return _failure(Problem.TOO_DEMANDING, limit=limits.memory_bytes // MiB)
        return _failure(Problem.CRASHED, detail=stderr[-500:].decode(errors="replace"),
                        signal="none, exit status " + str(returncode))  # fmt: skip
    mime = str(mime) if mime is not None else None
    if outcome == "ok":
        findings = tuple(Finding(str(p), str(k), str(v)) for p, k, v in answer.get("findings", []))
        return Outcome(mime_type=mime, findings=findings)
    problems = {
        "unsupported": Problem.UNSUPPORTED,
        "malformed": Problem.MALFORMED,
        "memory": Problem.TOO_DEMANDING,
        "unavailable": Problem.UNAVAILABLE,
    }
    problem = problems.get(outcome, Problem.CRASHED)
    return _failure(problem, mime, detail, limit=limits.memory_bytes // MiB, signal="none")
