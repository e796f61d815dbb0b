"""`sealdrop backup` and `restore-drill` on a filled instance, against `tar | gpg` of the same data.

    .venv/bin/python bench/backup.py                    # 4 sources x 5 files of 20 MB (~400 MB)
    .venv/bin/python bench/backup.py --sources 2 --files 3 --file-size 5M

Prints wall times, throughputs, each command's peak memory and the ratios against the baseline
run in the same conditions; it asserts nothing but that the drill passed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sealdrop.config import load_config
from sealdrop.crypto.homes import Keyring
from sealdrop.domain import codenames
from sealdrop.runtime.initialise import initialise
from sealdrop.runtime.instance import open_instance
from sealdrop.services.sources import begin_source, create_row
from sealdrop.services.submissions import accept, open_upload
from sealdrop.services.uploads import UploadBudget

CHUNK = 1 << 20
FAST = {"SEALDROP_KDF_N": "1024", "SEALDROP_MIN_FREE_BYTES": "0"}


def size_arg(text: str) -> int:
    units = {"K": 10**3, "M": 10**6, "G": 10**9}
    return int(float(text[:-1]) * units[text[-1]]) if text[-1] in units else int(text)


def fill(env: dict[str, str], public_key: str, sources: int, files: int, size: int) -> int:
    """Sources with `files` uploads of `size` random bytes each; returns the store's bytes."""
    inst = open_instance(load_config(env))
    keys = [inst.gpg.inspect_public_key(public_key)]
    today = dt.datetime.now(dt.UTC).date()
    try:
        with inst.sessions() as session:
            for _ in range(sources):
                new = begin_source(session, config=inst.config, codename=codenames.generate())
                source = create_row(session, inst.gpg, new=new, today=today)
                session.commit()
                for _ in range(files):
                    staged = open_upload(
                        inst.store,
                        inst.gpg,
                        source=source,
                        filename="f.bin",
                        recipients=keys,
                        budget=UploadBudget(size * 2),
                    )
                    for offset in range(0, size, CHUNK):
                        staged.write(os.urandom(min(CHUNK, size - offset)))
                    accept(
                        session,
                        inst.store,
                        inst.gpg,
                        source=source,
                        message="",
                        uploads=[staged],
                        recipients=keys,
                        today=today,
                    )
    finally:
        inst.close()
    return sum(p.stat().st_size for p in inst.store.root.rglob("*") if p.is_file())


# Runs the command and prints the peak RSS (KB) of the largest process in it: a fresh process
# per measurement, so one command's peak never hides behind an earlier one's.
PEAK = (
    "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def timed(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, int]:
    """Wall seconds, and the peak RSS in MB of the largest process the command ran."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", PEAK, *argv], env=env, check=True, capture_output=True, text=True
    )
    wall = time.perf_counter() - start
    return wall, int(done.stdout.split()[-1]) // 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sources", type=int, default=4)
    parser.add_argument("--files", type=int, default=5)
    parser.add_argument("--file-size", type=size_arg, default=20_000_000)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="sdbench-", dir="/var/tmp"))
    reader, admin = Keyring(base / "reader"), Keyring(base / "admin")
    try:
        reader_fpr = reader.generate_reader_key_pair("bench reader")
        admin_fpr = admin.generate_reader_key_pair("bench admin")
        (base / "admin.asc").write_text(admin.export_public_key(admin_fpr))
        env = {**os.environ, **FAST, "SEALDROP_DATA_DIR": str(base / "data")}
        initialise(load_config(env), submission_key=reader.export_public_key(reader_fpr))
        stored = fill(
            env, reader.export_public_key(reader_fpr), args.sources, args.files, args.file_size
        )
        out = base / "out"
        out.mkdir()
        cli = [sys.executable, "-m", "sealdrop.cli"]
        gpg = ["gpg", "--homedir", str(admin.home), "--batch", "--trust-model", "always"]
        tar_gpg = (
            f"tar -C {base / 'data'} -cf - . | {' '.join(gpg)} --compress-algo none "
            f"-r {admin_fpr} --encrypt > {base / 'baseline.tar.gpg'}"
        )
        base_wall, base_rss = timed(["sh", "-c", tar_gpg])
        backup_wall, backup_rss = timed(
            [*cli, "backup", "--output", str(out), "--recipient-key", str(base / "admin.asc")], env
        )
        [archive] = out.iterdir()
        untar = f"{' '.join(gpg)} --decrypt {archive} | tar -C {base / 'x'} -xf -"
        (base / "x").mkdir()
        unbase_wall, unbase_rss = timed(["sh", "-c", untar])
        drill_wall, drill_rss = timed(
            [
                *cli,
                "restore-drill",
                str(archive),
                "--gnupghome",
                str(admin.home),
                "--scratch-dir",
                str(base),
            ],
            env,
        )
        mb = stored / 1e6
        print(
            f"store: {args.sources} sources x {args.files} files, {mb:.0f} MB; "
            f"archive {archive.stat().st_size / 1e6:.0f} MB"
        )
        print(
            f"tar | gpg --encrypt (baseline)   {base_wall:6.2f} s  {mb / base_wall:6.0f} MB/s"
            f"  peak RSS {base_rss} MB"
        )
        print(
            f"sealdrop backup                  {backup_wall:6.2f} s  {mb / backup_wall:6.0f} MB/s"
            f"  peak RSS {backup_rss} MB  ratio {backup_wall / base_wall:.2f}x"
        )
        print(
            f"gpg --decrypt | tar -x (baseline) {unbase_wall:5.2f} s  {mb / unbase_wall:6.0f} MB/s"
            f"  peak RSS {unbase_rss} MB"
        )
        print(
            f"sealdrop restore-drill           {drill_wall:6.2f} s  {mb / drill_wall:6.0f} MB/s"
            f"  peak RSS {drill_rss} MB  ratio {drill_wall / unbase_wall:.2f}x"
        )
        return 0
    finally:
        reader.close()
        admin.close()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
