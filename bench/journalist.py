"""Benchmark: the newsroom's pages and API at 10,000 sources and 100,000 items.

Fills a throwaway SQLite instance with `--sources` sources and `--items` submissions and
replies (rows only: listing reads no file), then times, server side (the service call) and
through HTTP on 127.0.0.1 (a real `sealdrop serve journalist`, logged in as a journalist):
the sources page, the API v1 sources list and the API v2 index (200, and 304 for a client that
is up to date), against the login page measured in the same run as the baseline. Then one
source with `--bundle-items` small files and one `--large` file (sparse): the large file is
downloaded alone through the API, then everything as one bundle through the web page, each
against reading the same files from disk, with the worker's peak memory.
Targets: the sources page and the v1 list (a worker's first, after a change, unchanged) under
0.5 s at 10,000 sources, the v2 304 under 10 ms; a worker's memory flat at any size.
Figures only; the exit status is non-zero only when a request failed.

    .venv/bin/python bench/journalist.py                       # 10,000 sources, 100,000 items
    .venv/bin/python bench/journalist.py --sources 1000 --items 10000 --repeat 5   # quick
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from journalist_interface.api.index_answers import IndexAnswers
from journalist_interface.api.sources_listing import SourcesListing
from sealdrop.config import Config, load_config
from sealdrop.db.models import Source
from sealdrop.runtime.initialise import initialise
from sealdrop.runtime.instance import open_instance
from sealdrop.services import conversations, versions

sys.path.insert(1, str(Path(__file__).resolve().parents[1]))
from journalist_browser import csrf, etag_of, fetch, logged_in_opener
from newsroom_data import add_download_source, add_journalist, fill
from upload import parse_size
from worker_watch import reset_hwm, status_kb

from tests.harness import instance_env
from tests.server import RunningServer, serve_journalist

TARGET_SECONDS = 0.5
TARGET_304_SECONDS = 0.010


def read_all(paths: list[Path]) -> int:
    total = 0
    for path in paths:
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                total += len(chunk)
    return total


def timed(action: Callable[[], object], repeat: int) -> list[float]:
    action()  # warm: templates compiled, caches filled, as on a server that has been up a while
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return times


def after_a_star(session: Session, listing: SourcesListing) -> float:
    """The list right after one source's star was toggled (not timed), as a write would."""
    source = session.scalars(select(Source).limit(1)).one()
    conversations.set_starred(session, source, starred=not source.is_starred)
    started = time.perf_counter()
    listing.body(session)
    return time.perf_counter() - started


def time_api_server_side(config: Config, repeat: int) -> None:
    """The API's work without HTTP: the v1 list built and cached, the v2 index read and cached."""
    inst = open_instance(config)
    try:
        with inst.sessions() as session:
            # The filler writes rows only; on a server every writer stores its versions.
            if versions.fill_missing(session):
                session.commit()
            cold = timed(lambda: SourcesListing().body(session), repeat)
            report("server side: v1 list, a worker's first", cold, target=TARGET_SECONDS)
            listing = SourcesListing()
            listing.body(session)  # a worker that has answered once
            report(
                "server side: v1 list after a change",
                [after_a_star(session, listing) for _ in range(repeat)],
                target=TARGET_SECONDS,
            )
            kept = timed(lambda: listing.body(session), repeat)
            report("server side: v1 list, unchanged", kept, target=TARGET_SECONDS)
            report(
                "server side: v2 index, a worker's first",
                timed(lambda: IndexAnswers().current(session), repeat),
            )
            answers = IndexAnswers()
            answers.current(session)
            cached = timed(lambda: answers.current(session), repeat)
            report(
                "server side: v2 index, unchanged (200 or 304)", cached, target=TARGET_304_SECONDS
            )
    finally:
        inst.close()


def report(
    name: str, times: list[float], baseline: float | None = None, *, target: float | None = None
) -> None:
    median = statistics.median(times)
    ratio = f"  x{median / baseline:7.1f} the baseline" if baseline else ""
    verdict = ""
    if target is not None:
        verdict = f"  (target < {target} s: " + ("met)" if median < target else "MISSED)")
    figures = f"median {median * 1000:9.1f} ms  max {max(times) * 1000:9.1f} ms"
    print(f"{name:<42} {figures}{ratio}{verdict}")


@dataclass(frozen=True)
class Download:
    """The source whose files are downloaded: its uuid, the large file's uuid, every path."""

    source_uuid: str
    large_uuid: str
    paths: list[Path]


def after_a_change(
    opener: urllib.request.OpenerDirector, url: str, headers: dict[str, str], source: str
) -> Callable[[], float]:
    """The v1 list right after a star was toggled: what the first client after any change waits
    for, the list rebuilt. The toggle itself is not timed."""
    starred = [False]
    get = fetch(opener, f"{url}/api/v1/sources", headers=headers)

    def toggle_then_get() -> float:
        starred[0] = not starred[0]
        action = "add_star" if starred[0] else "remove_star"
        request = urllib.request.Request(  # noqa: S310 - loopback
            f"{url}/api/v1/sources/{source}/{action}",
            method="POST" if starred[0] else "DELETE",
            headers=headers,
        )
        with opener.open(request, timeout=60) as answer:
            answer.read()
        started = time.perf_counter()
        get()
        return time.perf_counter() - started

    return toggle_then_get


def time_api_over_http(
    opener: urllib.request.OpenerDirector,
    url: str,
    token: str,
    repeat: int,
    baseline: float,
    source: str,
) -> None:
    api = {"Authorization": f"Token {token}", "Accept": "application/json"}
    started = time.perf_counter()
    size = fetch(opener, f"{url}/api/v1/sources", headers=api)()
    first = time.perf_counter() - started
    report("HTTP: v1 sources list, the worker's first", [first], baseline, target=TARGET_SECONDS)
    changed = after_a_change(opener, url, api, source)
    rebuilt = [changed() for _ in range(repeat)]
    report(
        f"HTTP: v1 sources list after a change ({size // 1024} KiB)",
        rebuilt,
        baseline,
        target=TARGET_SECONDS,
    )
    v1 = timed(fetch(opener, f"{url}/api/v1/sources", headers=api), repeat)
    report("HTTP: v1 sources list, unchanged", v1, baseline, target=TARGET_SECONDS)
    v2 = {**api, "Prefer": "securedrop=4"}
    index_url = f"{url}/api/v2/index"
    report("HTTP: v2 index (200)", timed(fetch(opener, index_url, headers=v2), repeat), baseline)
    current = {**v2, "If-None-Match": etag_of(opener, index_url, v2)}
    unchanged = timed(fetch(opener, index_url, headers=current), repeat)
    report("HTTP: v2 index (304)", unchanged, baseline, target=TARGET_304_SECONDS)


def time_api_download(
    opener: urllib.request.OpenerDirector, server: RunningServer, token: str, download: Download
) -> None:
    """The large file alone through the API, twice: the first download computes its checksum."""
    large = download.paths[-1]
    on_disk = statistics.median(timed(lambda: read_all([large]), 1))
    report(f"disk: read the {large.stat().st_size >> 20} MiB file (baseline)", [on_disk])
    worker = server.worker()
    reset_hwm(worker)
    url = (
        f"{server.url}/api/v1/sources/{download.source_uuid}/submissions/"
        f"{download.large_uuid}/download"
    )
    api = {"Authorization": f"Token {token}"}
    report(
        "HTTP: the same through the API (first)", timed(fetch(opener, url, headers=api), 1), on_disk
    )
    report("HTTP: again (checksum kept)", timed(fetch(opener, url, headers=api), 1), on_disk)
    print(f"worker peak RSS during the API downloads {status_kb(worker, 'VmHWM') / 1024:.0f} MiB")


def time_bundle(
    opener: urllib.request.OpenerDirector, server: RunningServer, download: Download
) -> None:
    on_disk = timed(lambda: read_all(download.paths), 1)
    report(f"disk: read the {len(download.paths)} files (baseline)", on_disk)
    worker = server.worker()
    rss_before = status_kb(worker, "VmRSS")
    hwm_reset = reset_hwm(worker)
    token = csrf(opener, f"{server.url}/sources/{download.source_uuid}")
    form = urllib.parse.urlencode({"csrf_token": token}).encode()
    bundle = fetch(opener, f"{server.url}/sources/{download.source_uuid}/bundle", form)
    report("HTTP: the same as one bundle", timed(bundle, 1), statistics.median(on_disk))
    peak = status_kb(worker, "VmHWM")
    print(
        f"worker RSS {rss_before / 1024:.0f} MiB before, peak {peak / 1024:.0f} MiB"
        f" during the bundle{'' if hwm_reset else ' (peak since start: no reset rights)'}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=int, default=10_000)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--bundle-items", type=int, default=1000)
    parser.add_argument("--large", type=parse_size, default=parse_size("2G"))
    args = parser.parse_args()

    base = Path(tempfile.mkdtemp(prefix="sdbj-"))
    try:
        env = {**instance_env(base / "data"), "SEALDROP_JOURNALIST_WORKERS": "1"}
        initialise(load_config(env), submission_key=None)
        config = load_config(env)
        started = time.perf_counter()
        fill(config, sources=args.sources, items=args.items)
        took = time.perf_counter() - started
        print(f"filled {args.sources} sources, {args.items} items in {took:.1f} s")
        secret, token = add_journalist(config)
        download = Download(*add_download_source(config, items=args.bundle_items, large=args.large))

        inst = open_instance(config)
        try:
            with inst.sessions() as session:
                listing = timed(lambda: conversations.sources_page(session), args.repeat)
        finally:
            inst.close()
        report("server side: sources_page() (first page)", listing)
        time_api_server_side(config, args.repeat)

        with serve_journalist(env, base) as server:
            opener = logged_in_opener(server.url, secret)
            login_page = timed(fetch(opener, f"{server.url}/login"), args.repeat)
            report("HTTP: GET /login (baseline)", login_page)
            baseline = statistics.median(login_page)
            page_size = fetch(opener, f"{server.url}/")()
            sources_page = timed(fetch(opener, f"{server.url}/"), args.repeat)
            report(
                f"HTTP: GET / (sources page, {page_size // 1024} KiB)",
                sources_page,
                baseline,
                target=TARGET_SECONDS,
            )
            time_api_over_http(
                opener, server.url, token, args.repeat, baseline, download.source_uuid
            )
            time_api_download(opener, server, token, download)
            time_bundle(opener, server, download)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
