"""Process limits for serving: no core dumps or ptrace of workers, and room for many sockets."""

from __future__ import annotations

import ctypes
import ctypes.util
import resource

PR_SET_DUMPABLE = 4  # from <linux/prctl.h>
PR_GET_DUMPABLE = 3


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def make_undumpable() -> None:
    """A worker holds plaintext chunks and passphrases in memory: no core file, no ptrace by
    other processes of its user, and its /proc files (mem, environ) become root's only."""
    if _libc().prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE, 0) failed")
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def is_dumpable() -> bool:
    return bool(_libc().prctl(PR_GET_DUMPABLE, 0, 0, 0, 0))


def raise_open_file_limit() -> int:
    """Each open connection is a file descriptor: let the soft limit reach the hard one, so the
    per-worker connection cap, not a default of 1024, decides how many clients may wait."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        return hard
    return soft
