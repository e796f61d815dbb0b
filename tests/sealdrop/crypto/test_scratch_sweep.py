"""Throwaway gpg homes left by a killed process are swept; fresh ones and others' files stay."""

from __future__ import annotations

import os
import time
from pathlib import Path

from sealdrop.crypto.scratch import HOME_PREFIX, sweep_stale_homes, throwaway_home


def test_only_old_homes_of_ours_are_swept(tmp_path: Path) -> None:
    stale = tmp_path / (HOME_PREFIX + "crashed")
    stale.mkdir(mode=0o700)
    (stale / "key.key").write_bytes(b"a protected key")
    fresh = tmp_path / (HOME_PREFIX + "busy")
    fresh.mkdir(mode=0o700)
    foreign = tmp_path / "someone-else"
    foreign.mkdir()
    hour_ago = time.time() - 3700
    for path in (stale, foreign):
        os.utime(path, (hour_ago, hour_ago))

    assert sweep_stale_homes(tmp_path, older_than_seconds=3600) == 1

    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([fresh.name, foreign.name])


def test_homes_carry_the_prefix_and_go_away(tmp_path: Path) -> None:
    with throwaway_home(tmp_path, {"gpg.conf": b""}, agent=False) as home:
        assert home.name.startswith(HOME_PREFIX) and home.parent == tmp_path
    assert list(tmp_path.iterdir()) == []
