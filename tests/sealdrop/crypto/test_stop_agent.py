"""Stopping a throwaway home's gpg-agent: the process is gone, whatever state its socket is in."""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sealdrop.crypto.scratch import AGENT_EXIT_SECONDS, AGENT_SOCKET, stop_agent


@pytest.fixture
def home() -> Iterator[Path]:
    # A short path in RAM: the agent's socket lives in the home only if its path fits.
    path = Path(tempfile.mkdtemp(prefix="sda-", dir="/dev/shm"))
    try:
        yield path
    finally:
        subprocess.run(["gpgconf", "--homedir", str(path), "--kill", "gpg-agent"], check=False)
        subprocess.run(["rm", "-rf", str(path)], check=True)


def start_agent(home: Path) -> int:
    subprocess.run(
        ["gpg-connect-agent", "--homedir", str(home), "/bye"], check=True, capture_output=True
    )
    found = subprocess.run(
        ["pgrep", "-f", f"gpg-agent --homedir {home}"], capture_output=True, text=True, check=True
    )
    [pid] = found.stdout.split()
    return int(pid)


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # Our own children linger as zombies until reaped; the agent is not ours (it daemonised).
    return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"


def test_a_running_agent_is_stopped_through_its_socket(home: Path) -> None:
    pid = start_agent(home)
    assert (home / AGENT_SOCKET).is_socket()

    stop_agent(home)

    assert not (home / AGENT_SOCKET).exists()
    # The agent removes its socket as it exits: the process ends a moment later.
    deadline = time.monotonic() + AGENT_EXIT_SECONDS
    while not gone(pid) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert gone(pid)


def test_a_home_without_an_agent_is_left_as_it_is(home: Path) -> None:
    (home / "gpg.conf").write_text("")

    stop_agent(home)

    assert [p.name for p in home.iterdir()] == ["gpg.conf"]


def test_a_dead_agents_socket_does_not_hold_the_stop(home: Path) -> None:
    pid = start_agent(home)
    os.kill(pid, signal.SIGKILL)  # dies without removing its socket
    while not gone(pid):
        time.sleep(0.01)
    assert (home / AGENT_SOCKET).is_socket()

    started = time.monotonic()
    stop_agent(home)

    # The socket refuses connections: nothing to stop, and no wait for a process that is gone.
    assert time.monotonic() - started < AGENT_EXIT_SECONDS
