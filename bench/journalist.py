"""Benchmark: the newsroom's pages and API at 10,000 sources and 100,000 items.

Fills a throwaway SQLite instance with `--sources` sources and `--items` submissions and
replies (rows only: listing reads no file), then times, server side (the service call) and
through HTTP on 127.0.0.1 (a real `sealdrop serve journalist`, logged in as a journalist):
the sources page, the API v1 sources list and the API v2 index (200, and 304 for a client that
is up to date), against the login page measured in the same run as the baseline. Then one
source with `--bundle-items` small files and one `--large` file (sparse): the large file is
downloaded alone through the API, then everything as one bundle through the web page, each
against reading the same files from disk, with the worker's peak memory.
Targets: the sources page and the v1 list under 0.5 s at 10,000 sources, the v2 304 under
10 ms; a worker's memory flat at any size.
Figures only; the exit status is non-zero only when a request failed.

    .venv/bin/python bench/journalist.py                       # 10,000 sources, 100,000 items
    .venv/bin/python bench/journalist.py --sources 1000 --items 10000 --repeat 5   # quick
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.cookiejar
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path

import pyotp
from sqlalchemy import insert

from journalist_interface.api import serializers
from sealdrop.config import Config, load_config
from sealdrop.db.models import Reply, Source, Submission
from sealdrop.domain import designations
from sealdrop.runtime.initialise import initialise
from sealdrop.runtime.instance import open_instance
from sealdrop.services import conversations, journalist_auth, journalists, records, versions
from sealdrop.services.journalists import Profile, TwoFactor
from sealdrop.storage.store import Store

sys.path.insert(1, str(Path(__file__).resolve().parents[1]))
from upload import parse_size
from worker_watch import reset_hwm, status_kb

from tests.harness import FAST_ARGON2, FAST_KDF
from tests.server import RunningServer, serve_journalist

PASSPHRASE = "timing pages for a newsroom, seven words long"  # noqa: S105 - a throwaway
TARGET_SECONDS = 0.5
TARGET_304_SECONDS = 0.010
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
DAY = dt.date(2026, 11, 1)
BATCH = 5000


def fill(config: Config, *, sources: int, items: int, seed: int = 1) -> None:
    """Rows as the services would leave them, inserted in batches (no gpg, no files)."""
    rng = random.Random(seed)  # noqa: S311 - names and sizes only, nothing secret
    taken: set[str] = set()
    source_rows: list[dict[str, object]] = []
    while len(source_rows) < sources:
        designation = designations.draw(rng)
        if designation in taken:
            continue
        taken.add(designation)
        n = len(source_rows)
        source_rows.append(
            {
                "uuid": str(uuid.UUID(int=rng.getrandbits(128))),
                "filesystem_id": f"{n:052d}".translate(str.maketrans("0123456789", "abcdefghij")),
                "journalist_designation": designation,
                "key_fingerprint": f"{n:040X}",
                "public_key": "-----BEGIN PGP PUBLIC KEY BLOCK-----\n(bench)\n",
                "secret_key": b"(bench: never read)",
                "interaction_count": 0,
                "is_starred": n % 50 == 0,
                "created_on": DAY,
                "last_updated": DAY + dt.timedelta(days=n % 30),
            }
        )
    inst = open_instance(config)
    try:
        with inst.sessions() as session:
            for start in range(0, len(source_rows), BATCH):
                session.execute(insert(Source), source_rows[start : start + BATCH])
            ids = [row.id for row in session.query(Source.id).order_by(Source.id)]
            counts = dict.fromkeys(ids, 0)
            submissions, replies = [], []
            for n in range(items):
                source_id = ids[n % len(ids)]
                counts[source_id] += 1
                row = {
                    "uuid": str(uuid.UUID(int=rng.getrandbits(128))),
                    "source_id": source_id,
                    "filename": f"{counts[source_id]}-s{source_id}-x-{n}.gpg",
                    "size": rng.randint(500, 5_000_000),
                    "interaction_count": counts[source_id],
                }
                if n % 10 == 9:
                    replies.append({**row, "deleted_by_source": False})
                else:
                    kind = "file" if n % 3 == 0 else "message"
                    submissions.append({**row, "kind": kind, "is_read": n % 4 == 0})
            for start in range(0, len(submissions), BATCH):
                session.execute(insert(Submission), submissions[start : start + BATCH])
            for start in range(0, len(replies), BATCH):
                session.execute(insert(Reply), replies[start : start + BATCH])
            session.commit()
    finally:
        inst.close()


def add_download_source(config: Config, *, items: int, large: int) -> tuple[str, str, list[Path]]:
    """A source with `items` small random files and one sparse file of `large` bytes."""
    rng = random.Random(2)  # noqa: S311 - sizes only
    store = Store(config.store_dir)
    inst = open_instance(config)
    try:
        with inst.sessions() as session:
            source = Source(
                filesystem_id="z" * 52,
                journalist_designation="bench download",
                key_fingerprint="F" * 40,
                public_key="(bench)",
                secret_key=b"(bench)",
                created_on=DAY,
                last_updated=DAY,
            )
            session.add(source)
            session.flush()
            paths, large_uuid = [], ""
            for n in range(1, items + 2):
                name = f"{n}-bench-download-{'doc.gz' if n > items else 'msg'}.gpg"
                path = store.path_of(source.filesystem_id, name)
                path.parent.mkdir(mode=0o700, exist_ok=True)
                with path.open("wb") as handle:
                    if n > items:
                        handle.truncate(large)  # sparse: no disk, reads as fast as RAM
                    else:
                        handle.write(rng.randbytes(rng.randint(1_000, 64_000)))
                kind = "file" if n > items else "message"
                item = Submission(
                    source_id=source.id,
                    filename=name,
                    kind=kind,
                    size=path.stat().st_size,
                    interaction_count=n,
                )
                session.add(item)
                session.flush()
                large_uuid = item.uuid
                paths.append(path)
            source.interaction_count = items + 1
            session.commit()
            return source.uuid, large_uuid, paths
    finally:
        inst.close()


def read_all(paths: list[Path]) -> int:
    total = 0
    for path in paths:
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                total += len(chunk)
    return total


def add_journalist(config: Config) -> tuple[str, str]:
    """The bench journalist's TOTP secret (for the web login) and an API token."""
    inst = open_instance(config)
    try:
        with inst.sessions() as session:
            journalist = journalists.create(
                session,
                profile=Profile("bench"),
                passphrase=PASSPHRASE,
                second_factor=TwoFactor.new_totp(),
                cost=journalists.argon2_cost(config),
                today=DAY,
            )
            session.commit()
            now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
            token, _ = journalist_auth.issue_token(session, journalist, now=now, hours=2)
            return journalist.otp_secret, token
    finally:
        inst.close()


def timed(action: Callable[[], object], repeat: int) -> list[float]:
    action()  # warm: templates compiled, caches filled, as on a server that has been up a while
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return times


def logged_in_opener(base: str, secret: str) -> urllib.request.OpenerDirector:
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    with opener.open(f"{base}/login", timeout=30) as page:
        token = CSRF.search(page.read().decode())
    assert token, "no CSRF token on the login page"
    form = {
        "csrf_token": token.group(1),
        "username": "bench",
        "passphrase": PASSPHRASE,
        "code": pyotp.TOTP(secret).now(),
    }
    with opener.open(f"{base}/login", urllib.parse.urlencode(form).encode(), timeout=60) as done:
        if done.url != f"{base}/":
            raise SystemExit(f"login failed: landed on {done.url}")
    return opener


def fetch(
    opener: urllib.request.OpenerDirector,
    url: str,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> Callable[[], int]:
    """A request whose body is read in chunks and thrown away, as a client saving to disk."""

    def get() -> int:
        total = 0
        request = urllib.request.Request(url, data, headers=headers or {})  # noqa: S310 - loopback
        try:
            with opener.open(request, timeout=600) as response:
                while chunk := response.read(1 << 20):
                    total += len(chunk)
        except urllib.error.HTTPError as answer:
            if answer.code != HTTPStatus.NOT_MODIFIED:
                raise
        return total

    return get


def etag_of(opener: urllib.request.OpenerDirector, url: str, headers: dict[str, str]) -> str:
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - loopback
    with opener.open(request, timeout=600) as response:
        response.read()
        return str(response.headers["ETag"])


def time_api_server_side(config: Config, repeat: int) -> None:
    """The API's work without HTTP: the v1 list serialized, the v2 index read and cached."""
    inst = open_instance(config)
    try:
        with inst.sessions() as session:
            v1 = timed(
                lambda: [serializers.source(each) for each in records.source_records(session)],
                repeat,
            )
            report("server side: v1 sources list", v1, target=TARGET_SECONDS)
            cache = versions.IndexCache()
            report(
                "server side: v2 index (200)", timed(lambda: versions.index(session, cache), repeat)
            )
            cached = timed(lambda: versions.cached_version(session, cache), repeat)
            report("server side: v2 index version (304)", cached, target=TARGET_304_SECONDS)
    finally:
        inst.close()


def csrf(opener: urllib.request.OpenerDirector, url: str) -> str:
    with opener.open(url, timeout=60) as page:
        token = CSRF.search(page.read().decode())
    assert token, f"no CSRF token on {url}"
    return token.group(1)


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


def time_api_over_http(
    opener: urllib.request.OpenerDirector, url: str, token: str, repeat: int, baseline: float
) -> None:
    api = {"Authorization": f"Token {token}", "Accept": "application/json"}
    size = fetch(opener, f"{url}/api/v1/sources", headers=api)()
    v1 = timed(fetch(opener, f"{url}/api/v1/sources", headers=api), repeat)
    report(f"HTTP: v1 sources list ({size // 1024} KiB)", v1, baseline, target=TARGET_SECONDS)
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
        env = {
            "SEALDROP_DATA_DIR": str(base / "data"),
            "SEALDROP_MIN_FREE_BYTES": "0",
            "SEALDROP_JOURNALIST_WORKERS": "1",
            **FAST_KDF,
            **FAST_ARGON2,
        }
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
            time_api_over_http(opener, server.url, token, args.repeat, baseline)
            time_api_download(opener, server, token, download)
            time_bundle(opener, server, download)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
