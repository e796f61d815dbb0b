"""Running reader/mat2_worker.py on one file: Debian's python3 in a session of its own, a private
work directory, a minimal environment, time and memory limits, and its answer read strictly.

A file made to hang, exhaust or crash a parser costs this one child process (and its exiftool),
never the reader: on timeout the whole process group is killed.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from reader.metadata_results import Finding, Limits, MiB, Outcome, Problem, failure

WORKER = Path(__file__).with_name("mat2_worker.py")


def scratch() -> Path:
    """Where a run's private directory goes: the usual temporary directory, except under /dev.

    mat2's bubblewrap sandbox mounts a fresh /dev, so a link to the file under /dev/shm could
    not be recreated inside it and every file would look unreadable.
    """
    usual = Path(tempfile.gettempdir())
    return Path("/tmp") if usual.is_relative_to("/dev") else usual  # noqa: S108 (see above)


@contextlib.contextmanager
def workdir(parent: Path) -> Iterator[Path]:
    """A private directory (0700) for one run, removed with whatever it holds."""
    work = Path(tempfile.mkdtemp(prefix=".sealdrop-mat2-", dir=parent))
    try:
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)


def link(path: Path, work: Path, extension: str) -> Path:
    """Name the file for mat2, which picks its parser by extension, without copying it.

    The link lives outside the worker's current directory: mat2 mounts that directory in its
    bubblewrap sandbox, where a link to a path outside the sandbox would dangle.
    """
    (work / "in").mkdir()
    linked = work / "in" / f"file{extension}"
    linked.symlink_to(path.resolve())
    return linked


def run_worker(limits: Limits, work: Path, arguments: list[str]) -> Outcome:
    """Run mat2_worker.py in its own session; on timeout kill the whole group (exiftool too)."""
    if not limits.python.exists():
        return failure(Problem.UNAVAILABLE, detail=f"{limits.python} is missing")
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
        return failure(Problem.TIMED_OUT, limit=f"{limits.timeout_seconds:g}")
    # A worker that answered has waited for what it started; once reaped, its group id could
    # belong to someone else, so there is nothing more to kill here.
    return _interpret(process.returncode, stdout, stderr, limits)


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.communicate()


def _interpret(returncode: int, stdout: bytes, stderr: bytes, limits: Limits) -> Outcome:
    if returncode == -signal.SIGXCPU:
        return failure(Problem.TIMED_OUT, limit=f"{limits.timeout_seconds:g}")
    try:
        answer = json.loads(stdout)
        outcome = str(answer["outcome"])
        mime = answer.get("mime")
        detail = str(answer.get("detail", ""))
    except (ValueError, KeyError, TypeError):
        if returncode < 0:
            name = signal.Signals(-returncode).name
            return failure(Problem.CRASHED, detail=stderr[-500:].decode(errors="replace"),
                            signal=name)  # fmt: skip
        if b"MemoryError" in stderr:
            return failure(Problem.TOO_DEMANDING, limit=limits.memory_bytes // MiB)
        return failure(Problem.CRASHED, detail=stderr[-500:].decode(errors="replace"),
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
    return failure(problem, mime, detail, limit=limits.memory_bytes // MiB, signal="none")
