"""The process that lets mat2 touch one untrusted file, under limits it sets on itself first.

Run by reader.metadata as `<Debian's python3> -I -B mat2_worker.py <limits> report|clean ...`.
It imports only the standard library and libmat2 (Debian's `mat2` package), never Sealdrop, so it
runs under the system interpreter that package was built for. It prints one JSON object on stdout.
"""

from __future__ import annotations

import json
import mimetypes
import os
import resource
import sys
from typing import Any

MAX_FINDINGS = 500
MAX_TEXT = 1000


def _limit(memory_bytes: int, cpu_seconds: int, output_bytes: int) -> None:
    """Bound this process (and the exiftool it may start) before any untrusted byte is parsed."""
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
    resource.setrlimit(resource.RLIMIT_FSIZE, (output_bytes, output_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # no core dump of a submission's bytes


def _text(value: object) -> str:
    text = str(value)
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def _flatten(meta: dict[str, Any], where: str = "") -> list[list[str]]:
    """mat2 nests the metadata of members (an archive's files, an office document's parts)."""
    rows: list[list[str]] = []
    for key, value in meta.items():
        if len(rows) >= MAX_FINDINGS:
            break
        if isinstance(value, dict):
            rows.extend(_flatten(value, f"{where}/{key}" if where else str(key)))
        else:
            rows.append([_text(where), _text(key), _text(value)])
    return rows[:MAX_FINDINGS]


def _run(command: str, path: str, output: str | None) -> dict[str, object]:
    """Open the file with the parser mat2 picks by its extension, then report or clean it."""
    try:
        from libmat2 import parser_factory
    except Exception as error:  # not installed, a missing typelib, or no memory to load it
        return {"outcome": "unavailable", "detail": f"{type(error).__name__}: {error}"}
    mime = mimetypes.guess_type(path)[0]  # what mat2 goes by, for the report of a refusal
    try:
        parser, mime = parser_factory.get_parser(path)
        if parser is None:
            return {"outcome": "unsupported", "mime": mime}
        if command == "report":
            return {"outcome": "ok", "mime": mime, "findings": _flatten(parser.get_meta() or {})}
        parser.output_filename = output
        if not parser.remove_all():
            return {"outcome": "malformed", "mime": mime, "detail": "mat2 could not clean it"}
    except Exception as error:  # hostile input makes parsers raise anything, MemoryError too
        outcome = "memory" if isinstance(error, MemoryError) else "malformed"
        return {"outcome": outcome, "mime": mime, "detail": f"{type(error).__name__}: {error}"}
    return {"outcome": "ok", "mime": mime, "findings": []}


def main(argv: list[str]) -> int:
    memory, cpu, output_bytes, command, path, *rest = argv
    _limit(int(memory), int(cpu), int(output_bytes))
    os.umask(0o077)
    answer = _run(command, path, rest[0] if rest else None)
    answer["detail"] = _text(answer.get("detail", ""))
    json.dump(answer, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
