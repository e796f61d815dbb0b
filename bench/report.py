"""What the benchmark prints at the end: the table of runs, the targets, and the worker's files."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from source_client import UploadResult
from worker_watch import Watch

RATIO_TARGET = 1.3
RSS_TARGET_MB = 100.0


@dataclass
class Run:
    size: int
    upload: UploadResult
    watch: Watch
    rss_before_kb: int
    hwm_before_kb: int
    hwm_kb: int
    hwm_was_reset: bool
    client_cpu: float
    worker_cpu: float
    gpg_cpu: float
    gpg_default: float | None
    gpg_plain: float | None
    verified: str  # "ok", "skipped" or what went wrong


def megabytes(n: float) -> float:
    return n / 1e6


def ratio(a: float, b: float | None) -> float | None:
    return a / b if b else None


def fmt(value: float | None, spec: str = ".2f") -> str:
    return "-" if value is None else format(value, spec)


def print_report(runs: Sequence[Run], client: str, log_path: Path) -> None:
    if any(not r.upload.ok for r in runs):
        print("\ngunicorn log (tail):")
        print("\n".join(log_path.read_text(errors="replace").splitlines()[-20:]))
    print_table(runs, client)
    print_targets(runs)
    print_files(runs)


def print_table(runs: Sequence[Run], client: str) -> None:
    columns = [
        "size MB",
        "upload s",
        "MB/s",
        "gpg dflt s",
        "gpg nocmp s",
        "up/dflt",
        "up/nocmp",
        "RSS pre MB",
        "HWM pre MB",
        "HWM MB",
        "RSS max MB",
        "gpg RSS MB",
        "wkr CPU s",
        "gpg CPU s",
        "clnt CPU s",
        "verified",
    ]
    rows = []
    for run in runs:
        up = run.upload.seconds
        rows.append(
            [
                f"{megabytes(run.size):.0f}",
                f"{up:.2f}",
                fmt(megabytes(run.size) / up, ".0f"),
                fmt(run.gpg_default),
                fmt(run.gpg_plain),
                fmt(ratio(up, run.gpg_default)),
                fmt(ratio(up, run.gpg_plain)),
                f"{run.rss_before_kb / 1000:.1f}",
                f"{run.hwm_before_kb / 1000:.1f}",
                f"{run.hwm_kb / 1000:.1f}" + ("" if run.hwm_was_reset else "*"),
                f"{run.watch.worker_rss_kb / 1000:.1f}",
                f"{run.watch.child_rss_kb / 1000:.1f}",
                f"{run.worker_cpu:.2f}",
                f"{run.gpg_cpu:.2f}",
                f"{run.client_cpu:.2f}",
                run.verified,
            ]
        )
    widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(columns)]
    print(
        f"\nclient: {client}; MB = 10^6 bytes. Worker memory: RSS pre / HWM pre = VmRSS and "
        "VmHWM just before the upload (HWM pre covers everything since the worker started);\n"
        "HWM = VmHWM after the upload, reset just before it, so the peak during the upload "
        "(* = reset refused: peak since start); RSS max = VmRSS sampled every 50 ms.\n"
        "gpg RSS = the worker's children, sampled. CPU = user+sys during the upload: worker, "
        "its reaped gpg, this script's upload thread (python) or curl."
    )
    print("  ".join(c.rjust(w) for c, w in zip(columns, widths, strict=True)))
    for row in rows:
        print("  ".join(v.rjust(w) for v, w in zip(row, widths, strict=True)))


def print_targets(runs: Sequence[Run]) -> None:
    good = [r for r in runs if r.upload.ok]
    if not good:
        return
    upload = statistics.median(r.upload.seconds for r in good)
    print(f"\ntargets (median of {len(good)} run(s)):")
    for label, values in (
        ("gpg default (ZLIB compression)", [r.gpg_default for r in good]),
        ("gpg --compress-algo none", [r.gpg_plain for r in good]),
    ):
        measured = [v for v in values if v]
        if measured:
            value = upload / statistics.median(measured)
            verdict = "HOLDS" if value <= RATIO_TARGET else "MISSED"
            print(f"  upload/gpg <= {RATIO_TARGET} against {label}: {value:.2f} -> {verdict}")
    peak_mb = max(max(r.hwm_kb, r.watch.worker_rss_kb) for r in good) / 1000
    verdict = "HOLDS" if peak_mb < RSS_TARGET_MB else "MISSED"
    print(
        f"  worker peak RSS during the upload < {RSS_TARGET_MB:.0f} MB: {peak_mb:.1f} MB "
        f"-> {verdict}"
    )
    before_mb = max(r.hwm_before_kb for r in good) / 1000
    verdict = "HOLDS" if before_mb < RSS_TARGET_MB else "MISSED"
    print(
        f"  (worker peak RSS before the upload, since it started: {before_mb:.1f} MB -> {verdict})"
    )


def print_files(runs: Sequence[Run]) -> None:
    samples = sum(r.watch.samples for r in runs)
    suspects = [f for r in runs for f in r.watch.suspects.values()]
    expected = {f.target: f for r in runs for f in r.watch.expected.values()}
    heartbeats = {f.target for r in runs for f in r.watch.heartbeat.values()}
    print(f"\nopen files of the worker and its children ({samples} fd scans during the uploads):")
    if suspects:
        print("  PLAINTEXT RISK: temp or deleted files held open:")
        for f in suspects:
            print(f"    pid {f.pid} ({f.process}): {f.target}, up to {f.max_size:,} bytes")
    else:
        print("  no file in the temp dir outside the data dir, no deleted file: none found")
    for f in expected.values():
        print(f"  expected: {f.process}: {f.target} (up to {f.max_size:,} bytes)")
    if heartbeats:
        print(f"  ignored: gunicorn's empty heartbeat file(s), {len(heartbeats)}, always 0 bytes")
