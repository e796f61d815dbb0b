"""Throwaway GnuPG homes in RAM: made 0700 for one operation, agent stopped and removed after it.

A long-lived keyring remembers when each key arrived and keeps deleted keys readable; a home that
lives for one operation in a tmpfs leaves nothing on disk once it is gone.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from sealdrop.errors import ConfigError

DEFAULT_SCRATCH = Path("/dev/shm")  # noqa: S108 - a tmpfs on Linux: the point is RAM, not /tmp
RAM_FILESYSTEMS = frozenset({"tmpfs", "ramfs"})
AGENT_EXIT_SECONDS = 3.0
# Throwaway homes carry this prefix, so a sweep after a crash removes only its own.
HOME_PREFIX = "sealdrop-gpg-"
# The agent's socket in its home, where gpg puts it unless /run/user/UID/gnupg exists.
AGENT_SOCKET = "S.gpg-agent"


def _filesystem_of(path: Path) -> str | None:
    """The type of the file system `path` lives on, from the longest matching mount point."""
    try:
        lines = Path("/proc/self/mountinfo").read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    best, kind = "", None
    target = str(path.resolve())
    for line in lines:
        fields = line.split()
        mount_point = fields[4].replace("\\040", " ")
        fstype = fields[fields.index("-") + 1]
        inside = target == mount_point or target.startswith(mount_point.rstrip("/") + "/")
        if inside and len(mount_point) >= len(best):
            best, kind = mount_point, fstype
    return kind


def require_ram(path: Path, *, setting: str = "SEALDROP_GPG_SCRATCH_DIR") -> Path:
    """`path` if it is a directory on a RAM file system; a ConfigError naming `setting` if not."""
    if not path.is_dir():
        raise ConfigError(f"{setting}: {path} is not a directory")
    kind = _filesystem_of(path)
    if kind not in RAM_FILESYSTEMS:
        raise ConfigError(
            f"{setting}: {path} is on {kind or 'an unknown file system'}, not in RAM (tmpfs): "
            "gpg's working files must never reach a disk"
        )
    return path


def stop_agent(home: Path, *, binary: str = "gpgconf") -> None:
    """Stop the gpg-agent of `home`, if one runs, and wait until its socket is gone."""
    socket_path = home / AGENT_SOCKET
    if socket_path.is_socket():
        answer = _ask_agent_to_exit(socket_path)
        if answer is not None:
            if answer:
                _wait_until_gone(socket_path)
            return
    # The socket is elsewhere (gpg moves it under /run/user/UID when that exists), or the
    # agent did not answer: gpgconf knows where it is and how to stop it.
    listed = subprocess.run(  # noqa: S603 - fixed arguments
        [binary, "--homedir", str(home), "--list-dirs", "agent-socket"],
        check=False,
        capture_output=True,
        text=True,
    )
    elsewhere = Path(listed.stdout.strip()) if listed.returncode == 0 else None
    if elsewhere is None or not elsewhere.exists():
        return
    subprocess.run(  # noqa: S603 - fixed arguments
        [binary, "--homedir", str(home), "--kill", "gpg-agent"], check=False, capture_output=True
    )
    _wait_until_gone(elsewhere)


def _ask_agent_to_exit(socket_path: Path) -> bool | None:
    """KILLAGENT over the agent's own socket, as `gpgconf --kill` sends it, without starting a
    process for each home (two gpgconf runs cost more than the operation they closed).

    True once the agent said it stops; False if no agent listens there (it died, leaving its
    socket); None if something else answered, or nothing did in time.
    """
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.settimeout(AGENT_EXIT_SECONDS)
            connection.connect(str(socket_path))
            reader = connection.makefile("rb")
            if not reader.readline().startswith(b"OK"):  # the greeting
                return None
            connection.sendall(b"KILLAGENT\n")
            return True if reader.readline().startswith(b"OK") else None
    except (ConnectionRefusedError, FileNotFoundError):
        return False
    except OSError:  # reset or timed out: let gpgconf see
        return None


def _wait_until_gone(socket_path: Path) -> None:
    # The agent answers before it exits: wait, so that nothing outlives the home.
    deadline = time.monotonic() + AGENT_EXIT_SECONDS
    while socket_path.exists() and time.monotonic() < deadline:
        time.sleep(0.002)


def write_private_file(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def sweep_stale_homes(base: Path, *, older_than_seconds: float) -> int:
    """Remove the homes a killed process left behind (one may hold a source's protected key);
    returns how many. Only homes older than any operation lasts are touched."""
    cutoff = time.time() - older_than_seconds
    removed = 0
    for home in base.glob(HOME_PREFIX + "*"):
        with contextlib.suppress(FileNotFoundError):
            if home.is_dir() and not home.is_symlink() and home.stat().st_mtime < cutoff:
                stop_agent(home)
                shutil.rmtree(home, ignore_errors=True)
                removed += 1
    return removed


@contextlib.contextmanager
def throwaway_home(base: Path, files: dict[str, bytes], *, agent: bool = True) -> Iterator[Path]:
    """A new 0700 directory under `base` holding `files`; its agent stopped, it removed, at exit.

    `agent=False` promises that no gpg-agent was started there (gpg ran with --no-autostart).
    """
    home = Path(tempfile.mkdtemp(prefix=HOME_PREFIX, dir=base))  # mkdtemp makes it 0700
    try:
        for name, data in files.items():
            write_private_file(home / name, data)
        yield home
    finally:
        if agent:
            stop_agent(home)
        shutil.rmtree(home, ignore_errors=True)
