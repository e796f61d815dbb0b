"""A minbase Debian bookworm root for the converge test: built once with debootstrap, then cached.

The tarball is kept under /var/cache/sealdrop-test, named after the debootstrap version, so a
new debootstrap builds a new one. The mirror is the one this machine's apt already uses: no
internet host is named here. A fresh CI machine builds it on its first run (a few minutes).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

CACHE = Path(os.environ.get("SEALDROP_TEST_CACHE", "/var/cache/sealdrop-test"))
SUITE = "bookworm"
APT_SOURCES = [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]


def debootstrap_version() -> str:
    done = subprocess.run(
        ["dpkg-query", "--showformat=${Version}", "--show", "debootstrap"],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def debian_mirror(sources: list[Path] = APT_SOURCES) -> str:
    """The first URI apt uses for Debian's `bookworm` suite (one-line or deb822 sources)."""
    for path in sources:
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for line in text.splitlines():
            found = re.match(rf"^\s*deb\s+(?:\[[^]]*\]\s+)?(\S+)\s+{SUITE}\s", line)
            if found:
                return found.group(1)
        for stanza in re.split(r"\n\s*\n", text):
            fields = dict(re.findall(r"(?m)^(\w[\w-]*):\s*(.*)$", stanza))
            if SUITE in fields.get("Suites", "").split() and "deb" in fields.get("Types", ""):
                return str(fields["URIs"].split()[0])
    raise RuntimeError(f"no apt source for Debian {SUITE} in {', '.join(map(str, sources))}")


def cached_tarball() -> Path:
    """The tarball of a minbase root; built (debootstrap) the first time, reused after."""
    tarball = CACHE / f"{SUITE}-minbase-debootstrap-{debootstrap_version()}.tar"
    if tarball.exists():
        return tarball
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="sealdrop-debootstrap-", dir="/var/tmp") as scratch:
        root = Path(scratch) / "root"
        subprocess.run(
            ["debootstrap", "--variant=minbase", SUITE, str(root), debian_mirror()],
            check=True,
            capture_output=True,
            timeout=1800,
        )
        partial = tarball.with_name(f".{tarball.name}.part")
        subprocess.run(["tar", "-C", str(root), "-cf", str(partial), "."], check=True)
        partial.replace(tarball)
    return tarball


@contextlib.contextmanager
def prepared_root(base: Path) -> Iterator[Path]:
    """A fresh root from the cache, made ready the way a host would be, and torn down after.

    - /proc and a tmpfs on /dev/shm are mounted (Sealdrop refuses a gpg scratch dir not in RAM);
    - policy-rc.d forbids maintainer scripts to start daemons: a chroot shares the host's
      network, and a tor or sshd started there would run on the host;
    - the host's resolver, so apt inside reaches the same mirror;
    - /var/cache/apt/archives is bound to a cache dir, so the .debs are downloaded once.
    """
    root = base / "root"
    root.mkdir()
    subprocess.run(["tar", "-C", str(root), "-xf", str(cached_tarball())], check=True)
    policy = root / "usr/sbin/policy-rc.d"
    policy.write_text("#!/bin/sh\n# No daemon starts in this test root.\nexit 101\n")
    policy.chmod(0o755)
    shutil.copyfile("/etc/resolv.conf", root / "etc/resolv.conf")
    archives = CACHE / "apt-archives"
    (archives / "partial").mkdir(parents=True, exist_ok=True)
    mounts = [
        (["-t", "proc", "proc"], root / "proc"),
        (["-t", "tmpfs", "-o", "mode=1777,nosuid,nodev", "tmpfs"], root / "dev/shm"),
        (["--bind", str(archives)], root / "var/cache/apt/archives"),
    ]
    done: list[Path] = []
    try:
        for how, target in mounts:
            target.mkdir(parents=True, exist_ok=True)
            subprocess.run(["mount", *how, str(target)], check=True)
            done.append(target)
        yield root
    finally:
        for target in reversed(done):
            subprocess.run(["umount", "--lazy", str(target)], check=False)
        # Never delete through a mount left behind (the apt cache, /proc).
        if not mounts_under(root):
            shutil.rmtree(root, ignore_errors=True)


def mounts_under(root: Path) -> list[str]:
    lines = Path("/proc/self/mountinfo").read_text(encoding="utf-8").splitlines()
    inside = str(root.resolve()).rstrip("/") + "/"
    return [line.split()[4] for line in lines if (line.split()[4] + "/").startswith(inside)]
