"""The `sealdrop` command two ways: `cli.main(argv, env)` in this process, or as a process."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pytest

from sealdrop.cli.main import main as cli_main


@dataclass(frozen=True)
class Ran:
    code: int
    stdout: str
    stderr: str


Sealdrop = Callable[..., Ran]

# Every test that runs the command runs it both ways; the process one starts a process, so it
# is a `server` test, left out of `make test-fast`.
WAYS = [pytest.param("in-process"), pytest.param("process", marks=pytest.mark.server)]


def full_env(env: Mapping[str, str]) -> dict[str, str]:
    """An explicit environment: nothing from the developer's shell can change the outcome."""
    home = env.get("SEALDROP_DATA_DIR", "/nonexistent")
    return {"PATH": os.environ["PATH"], "HOME": home, "LANG": "C.UTF-8", **env}


def as_a_process(env: Mapping[str, str], *args: str) -> Ran:
    """`python -m sealdrop.cli ARGS`: the exit code and both streams."""
    done = subprocess.run(
        [sys.executable, "-m", "sealdrop.cli", *args],
        env=full_env(env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return Ran(done.returncode, done.stdout, done.stderr)


def in_process(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Sealdrop:
    """`cli.main(ARGS, env)` here, its output read from capsys; `serve` may never exec."""

    def refuse_exec(*_args: object) -> None:
        raise AssertionError("`sealdrop serve` got as far as starting gunicorn")

    # A serve that wrongly passed its checks would otherwise replace pytest with gunicorn.
    monkeypatch.setattr(os, "execv", refuse_exec)

    def run(env: Mapping[str, str], *args: str) -> Ran:
        capsys.readouterr()
        code = cli_main(list(args), full_env(env))
        out, err = capsys.readouterr()
        return Ran(code, out, err)

    return run


def assert_one_clear_line(ran: Ran, *, mentions: str) -> None:
    assert ran.code == 2
    assert "Traceback" not in ran.stderr
    lines = ran.stderr.splitlines()
    assert len(lines) == 1, ran.stderr
    assert lines[0].startswith("sealdrop: ")
    assert mentions in lines[0]
