"""What a metadata run says: its limits, the problems it can meet (each with its sentence for
the journalist), the findings, and the reports of `reader.metadata.report` and `clean`."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path

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


def failure(
    problem: Problem, mime: str | None = None, detail: str = "", **words: object
) -> Outcome:
    sentence = _SENTENCES[problem].format(mime=mime or "type unknown", **words)
    return Outcome(mime_type=mime, problem=problem, sentence=sentence, detail=detail)
