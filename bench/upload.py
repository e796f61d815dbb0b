"""Benchmark: one large upload through the real source interface against plain `gpg --encrypt`.

Starts a throwaway instance (`sealdrop init` + `sealdrop serve source`, one gthread worker) on
127.0.0.1, creates a source over HTTP, streams a file of random bytes to POST /submit, and compares
the wall time with the gpg command line encrypting the same file to the same key. It also samples
the worker's memory, watches its open files for plaintext spooled to disk, and checks that the
stored submission decrypts and gunzips to the input. Figures only: the exit status is non-zero
only when the upload failed or the stored content differed.

    .venv/bin/python bench/upload.py --size 50M
    .venv/bin/python bench/upload.py --size 2G --runs 2
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import hashlib
import http.client
import os
import re
import resource
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sealdrop.crypto.gpg import Fingerprint, Gpg, generate_reader_key_pair

CHUNK = 1 << 20
SAMPLE_SECONDS = 0.05
START_TIMEOUT_SECONDS = 30
STOP_TIMEOUT_SECONDS = 10
RATIO_TARGET = 1.3
RSS_TARGET_MB = 100.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
CSRF_PATTERN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
CODENAME_PATTERN = re.compile(r'id="codename">([^<]+)<')
SIZE_PATTERN = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([kmgt]?)(i?)(b?)\s*$", re.IGNORECASE)
GUNICORN_HEARTBEAT = re.compile(r"/wgunicorn-[^/]*$")


def client_cpu() -> float:
    """user+sys of this thread (the python client) plus reaped children (curl)."""
    own = resource.getrusage(resource.RUSAGE_THREAD)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def parse_size(text: str) -> int:
    """`500000000`, `50M`, `2G`, `1.5GB` (powers of 10) or `512MiB` (powers of 2) -> bytes."""
    match = SIZE_PATTERN.match(text)
    if not match:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (try 50M, 500MB, 2G, 512MiB)")
    number, unit, binary, _ = match.groups()
    exponent = " kmgt".index(unit.lower() or " ")
    size = int(float(number) * (1024 if binary else 1000) ** exponent)
    if size <= 0:
        raise argparse.ArgumentTypeError("the size must be at least one byte")
    return size


def megabytes(n: float) -> float:
    return n / 1e6


# --- /proc --------------------------------------------------------------------------------------


def status_kb(pid: int, key: str) -> int:
    """A `VmRSS`/`VmHWM` line of /proc/<pid>/status, in kB (0 if the process is gone)."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def children(pid: int) -> list[int]:
    """Direct children of every thread of `pid` (gthread workers fork gpg from their threads)."""
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                found.extend(int(c) for c in (task / "children").read_text().split())
    return found


def descendants(pid: int) -> list[int]:
    result, todo = [], children(pid)
    while todo:
        child = todo.pop()
        result.append(child)
        todo.extend(children(child))
    return result


def reset_hwm(pid: int) -> bool:
    """Reset VmHWM to the current RSS (`5` into clear_refs, Linux >= 4.0, needs ptrace rights)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def comm(pid: int) -> str:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/comm").read_text().strip()
    return "?"


def cpu_seconds(pid: int) -> tuple[float, float]:
    """(own user+sys, reaped children's user+sys) of `pid`, in seconds."""
    with contextlib.suppress(OSError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        own = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
        reaped = (int(fields[13]) + int(fields[14])) / CLOCK_TICKS
        return own, reaped
    return 0.0, 0.0


# --- watching the worker during an upload ------------------------------------------------------


@dataclass
class OpenFile:
    pid: int
    process: str
    target: str
    max_size: int = 0


@dataclass
class Watch:
    """What the sampler saw: peak RSS of the worker and its gpg children, and files it held open."""

    worker_rss_kb: int = 0
    child_rss_kb: int = 0
    samples: int = 0
    suspects: dict[tuple[int, str], OpenFile] = field(default_factory=dict)
    heartbeat: dict[tuple[int, str], OpenFile] = field(default_factory=dict)
    expected: dict[tuple[int, str], OpenFile] = field(default_factory=dict)


class Sampler(threading.Thread):
    """Every 50 ms: VmRSS of the worker and its descendants, and a scan of their fd tables.

    A file counts as suspect when it is "(deleted)" or lies in the temp directory outside the
    instance's data directory. Files inside the data directory (the SQLite database, the gpg
    keyring, the staged ciphertext `.part`) and this script's gunicorn log are listed as
    expected; gunicorn's empty unlinked heartbeat file (`wgunicorn-*`) is listed apart unless it
    ever holds data.
    """

    def __init__(self, worker: int, data_dir: Path, own_files: Sequence[Path]) -> None:
        super().__init__(name="rss-sampler", daemon=True)
        self.worker = worker
        self.data_dir = str(data_dir)
        self.own_files = {str(path) for path in own_files}
        self.temp_root = os.path.realpath(tempfile.gettempdir())
        self.watch = Watch()
        self._halt = threading.Event()

    def stop(self) -> Watch:
        self._halt.set()
        self.join()
        return self.watch

    def run(self) -> None:
        while not self._halt.is_set():
            self.sample()
            self._halt.wait(SAMPLE_SECONDS)
        self.sample()

    def sample(self) -> None:
        watch = self.watch
        watch.samples += 1
        watch.worker_rss_kb = max(watch.worker_rss_kb, status_kb(self.worker, "VmRSS"))
        kids = descendants(self.worker)
        for pid in kids:
            watch.child_rss_kb = max(watch.child_rss_kb, status_kb(pid, "VmRSS"))
        for pid in [self.worker, *kids]:
            self.scan_fds(pid)

    def scan_fds(self, pid: int) -> None:
        fd_dir = Path(f"/proc/{pid}/fd")
        try:
            fds = list(fd_dir.iterdir())
        except OSError:
            return
        for fd in fds:
            try:
                target = str(fd.readlink())
                size = fd.stat().st_size
            except OSError:
                continue
            if not target.startswith("/"):
                continue  # pipe:[...], socket:[...], anon_inode:...
            deleted = target.endswith(" (deleted)")
            inside_temp = target.startswith(self.temp_root + "/")
            if (target.startswith(self.data_dir + "/") or target in self.own_files) and not deleted:
                table = self.watch.expected
            elif GUNICORN_HEARTBEAT.search(target.removesuffix(" (deleted)")) and size == 0:
                table = self.watch.heartbeat
            elif deleted or inside_temp:
                table = self.watch.suspects
            else:
                continue
            entry = table.setdefault((pid, target), OpenFile(pid, comm(pid), target))
            entry.max_size = max(entry.max_size, size)


# --- the server ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    def worker(self) -> int:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            workers = children(self.process.pid)
            if workers:
                return workers[0]
            time.sleep(0.05)
        raise RuntimeError("gunicorn started no worker")

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def start_server(env: Mapping[str, str], log_path: Path) -> Server:
    port = free_port()
    full_env = {**os.environ, **env, "SEALDROP_SOURCE_BIND": f"127.0.0.1:{port}"}
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "sealdrop.cli", "serve", "source"],
            env=full_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(process, port, log_path)
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited early:\n{log_path.read_text(errors='replace')}")
        with contextlib.suppress(OSError, http.client.HTTPException):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            try:
                conn.request("GET", "/metadata")
                if conn.getresponse().status == 200:
                    return server
            finally:
                conn.close()
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"gunicorn did not answer:\n{log_path.read_text(errors='replace')}")


# --- the source, over HTTP ----------------------------------------------------------------------


class SourceClient:
    """GET /generate, POST /create, GET /lookup: the form flow, with the `sd_session` cookie."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookie = ""

    def _remember(self, response: http.client.HTTPResponse) -> None:
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            if name.strip() == "sd_session":
                self.cookie = rest.split(";", 1)[0]

    def request(
        self, method: str, path: str, body: bytes | None = None, content_type: str = ""
    ) -> tuple[int, str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Cookie": f"sd_session={self.cookie}"} if self.cookie else {}
        if content_type:
            headers["Content-Type"] = content_type
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", errors="replace")
            self._remember(response)
            return response.status, text
        finally:
            conn.close()

    def create_source(self) -> None:
        status, page = self.request("GET", "/generate")
        codename, token = CODENAME_PATTERN.search(page), CSRF_PATTERN.search(page)
        if status != 200 or not codename or not token:
            raise RuntimeError(f"GET /generate gave {status} without a codename and token")
        form = {"codename": codename.group(1), "saved": "y", "csrf_token": token.group(1)}
        status, _ = self.request(
            "POST", "/create", urllib.parse.urlencode(form).encode(),
            "application/x-www-form-urlencoded",
        )
        if status != 302:
            raise RuntimeError(f"POST /create gave {status}, expected 302")

    def csrf_token(self) -> str:
        status, page = self.request("GET", "/lookup")
        token = CSRF_PATTERN.search(page)
        if status != 200 or not token:
            raise RuntimeError(f"GET /lookup gave {status} without a CSRF token")
        return token.group(1)


@dataclass
class UploadResult:
    ok: bool
    seconds: float
    detail: str


def multipart_parts(csrf: str, filename: str) -> tuple[str, bytes, bytes]:
    boundary = "sealdrop-bench-" + secrets.token_hex(12)
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{csrf}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="msg"\r\n\r\n\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="fh"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    return boundary, head, f"\r\n--{boundary}--\r\n".encode()


def upload_python(client: SourceClient, path: Path, csrf: str) -> UploadResult:
    """http.client with a generator body and an explicit Content-Length: 1 MiB read at a time."""
    boundary, head, tail = multipart_parts(csrf, path.name)
    length = len(head) + path.stat().st_size + len(tail)

    def body() -> Iterator[bytes]:
        yield head
        with path.open("rb", buffering=0) as handle:
            while chunk := handle.read(CHUNK):
                yield chunk
        yield tail

    conn = http.client.HTTPConnection("127.0.0.1", client.port, timeout=600)
    headers = {
        "Cookie": f"sd_session={client.cookie}",
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "Content-Length": str(length),
    }
    started = time.perf_counter()
    try:
        conn.request("POST", "/submit", body=body(), headers=headers)
        response = conn.getresponse()
        seconds = time.perf_counter() - started
        response.read()
    except (OSError, http.client.HTTPException) as exc:
        return UploadResult(False, time.perf_counter() - started, f"{type(exc).__name__}: {exc}")
    finally:
        conn.close()
    location = response.headers.get("Location", "")
    ok = response.status == 302 and location.endswith("/lookup")
    return UploadResult(ok, seconds, f"HTTP {response.status} -> {location or '(no redirect)'}")


def upload_curl(client: SourceClient, path: Path, csrf: str) -> UploadResult:
    """curl -F, timed by curl itself (connect to last byte of the response)."""
    done = subprocess.run(
        [
            "curl", "-sS", "-o", "/dev/null", "-H", "Expect:",
            "-H", f"Cookie: sd_session={client.cookie}",
            "-w", "%{http_code} %{time_total} %{redirect_url}",
            "-F", f"csrf_token={csrf}", "-F", "msg=",
            "-F", f"fh=@{path};type=application/octet-stream",
            f"http://127.0.0.1:{client.port}/submit",
        ],
        capture_output=True, text=True, check=False,
    )
    parts = done.stdout.split()
    if done.returncode != 0 or len(parts) < 2:
        return UploadResult(False, 0.0, f"curl exit {done.returncode}: {done.stderr.strip()}")
    status, seconds = int(parts[0]), float(parts[1])
    location = parts[2] if len(parts) > 2 else ""
    ok = status == 302 and location.endswith("/lookup")
    return UploadResult(ok, seconds, f"HTTP {status} -> {location or '(no redirect)'}")


# --- baselines and verification -----------------------------------------------------------------


def gpg_encrypt_seconds(home: Path, fingerprint: str, path: Path, extra: Sequence[str]) -> float:
    output = path.with_name("baseline.gpg")
    command = [
        "gpg", "--homedir", str(home), "--batch", "--yes", "--trust-model", "always",
        *extra, "-r", fingerprint, "-o", str(output), "--encrypt", str(path),
    ]
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    seconds = time.perf_counter() - started
    output.unlink()
    return seconds


def decrypted_sha256(home: Path, stored: Path) -> tuple[str, int, str]:
    """(sha256, size, problem) of the gunzipped plaintext of `stored`, decrypted by the reader."""
    digest, size = hashlib.sha256(), 0
    inflate = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    gpg = subprocess.Popen(
        ["gpg", "--homedir", str(home), "--batch", "--quiet", "--decrypt", str(stored)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    assert gpg.stdout is not None
    assert gpg.stderr is not None
    while chunk := gpg.stdout.read(CHUNK):
        plain = inflate.decompress(chunk)
        digest.update(plain)
        size += len(plain)
    plain = inflate.flush()
    digest.update(plain)
    size += len(plain)
    errors = gpg.stderr.read().decode(errors="replace").strip()
    if gpg.wait() != 0:
        return "", size, f"gpg --decrypt failed: {errors}"
    if not inflate.eof or inflate.unused_data:
        return "", size, "the decrypted data is not exactly one complete gzip member"
    return digest.hexdigest(), size, ""


def write_random_file(path: Path, size: int) -> str:
    digest = hashlib.sha256()
    with path.open("wb") as handle:
        left = size
        while left:
            chunk = os.urandom(min(CHUNK, left))
            digest.update(chunk)
            handle.write(chunk)
            left -= len(chunk)
    return digest.hexdigest()


# --- py-spy (optional) --------------------------------------------------------------------------


def start_profiler(worker: int, seconds: int, output: Path) -> subprocess.Popen[bytes] | None:
    binary = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(binary).exists():
        print("py-spy not found: no profile (pip install py-spy into the venv)")
        return None
    return subprocess.Popen(
        [binary, "record", "--pid", str(worker), "--duration", str(seconds), "--rate", "200",
         "--format", "raw", "--output", str(output), "--nonblocking", "--threads"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )


def summarise_profile(path: Path, top: int = 12) -> None:
    """Self time by leaf frame, and inclusive time by frame, from py-spy's collapsed stacks."""
    if not path.exists():
        print("py-spy wrote no profile")
        return
    leaf: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    threads: collections.Counter[str] = collections.Counter()
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        total += count
        threads[frames[0]] += count
        leaf[frames[-1]] += count
        for frame in set(frames[1:]):
            inclusive[frame] += count
    if not total:
        print("py-spy recorded no samples")
        return
    print(f"\npy-spy: {total} samples (all threads, on-CPU only)")
    for title, counter in (("threads", threads), ("self (leaf)", leaf), ("inclusive", inclusive)):
        print(f"  top {title}:")
        for frame, count in counter.most_common(top):
            print(f"    {100 * count / total:5.1f}%  {frame}")


# --- the benchmark ------------------------------------------------------------------------------


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


def ratio(a: float, b: float | None) -> float | None:
    return a / b if b else None


def fmt(value: float | None, spec: str = ".2f") -> str:
    return "-" if value is None else format(value, spec)


def print_table(runs: Sequence[Run], client: str) -> None:
    columns = [
        "size MB", "upload s", "MB/s", "gpg dflt s", "gpg nocmp s", "up/dflt", "up/nocmp",
        "RSS pre MB", "HWM pre MB", "HWM MB", "RSS max MB", "gpg RSS MB", "wkr CPU s",
        "gpg CPU s", "clnt CPU s", "verified",
    ]
    rows = []
    for run in runs:
        up = run.upload.seconds
        rows.append([
            f"{megabytes(run.size):.0f}", f"{up:.2f}", fmt(megabytes(run.size) / up, ".0f"),
            fmt(run.gpg_default), fmt(run.gpg_plain),
            fmt(ratio(up, run.gpg_default)), fmt(ratio(up, run.gpg_plain)),
            f"{run.rss_before_kb / 1000:.1f}", f"{run.hwm_before_kb / 1000:.1f}",
            f"{run.hwm_kb / 1000:.1f}" + ("" if run.hwm_was_reset else "*"),
            f"{run.watch.worker_rss_kb / 1000:.1f}", f"{run.watch.child_rss_kb / 1000:.1f}",
            f"{run.worker_cpu:.2f}", f"{run.gpg_cpu:.2f}", f"{run.client_cpu:.2f}", run.verified,
        ])
    widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(columns)]
    print(f"\nclient: {client}; MB = 10^6 bytes. Worker memory: RSS pre / HWM pre = VmRSS and "
          "VmHWM just before the upload (HWM pre covers everything since the worker started);\n"
          "HWM = VmHWM after the upload, reset just before it, so the peak during the upload "
          "(* = reset refused: peak since start); RSS max = VmRSS sampled every 50 ms.\n"
          "gpg RSS = the worker's children, sampled. CPU = user+sys during the upload: worker, "
          "its reaped gpg, this script's upload thread (python) or curl.")
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
    print(f"  worker peak RSS during the upload < {RSS_TARGET_MB:.0f} MB: {peak_mb:.1f} MB "
          f"-> {verdict}")
    before_mb = max(r.hwm_before_kb for r in good) / 1000
    verdict = "HOLDS" if before_mb < RSS_TARGET_MB else "MISSED"
    print(f"  (worker peak RSS before the upload, since it started: {before_mb:.1f} MB "
          f"-> {verdict})")


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


def benchmark(args: argparse.Namespace, base: Path) -> int:
    reader_home = base / "reader"
    data_dir = base / "data"
    agents = [reader_home, data_dir / "gpg"]
    reader = Gpg(reader_home)
    fingerprint: Fingerprint = generate_reader_key_pair(reader, "Sealdrop bench reader")
    key_file = base / "submission.asc"
    key_file.write_text(reader.export_public_key(fingerprint))

    env = {
        "SEALDROP_DATA_DIR": str(data_dir),
        "SEALDROP_MIN_FREE_BYTES": "0",
        "SEALDROP_MAX_UPLOAD_BYTES": str(max(args.size * 2, 1_000_000)),
        "SEALDROP_SOURCE_WORKERS": "1",
    }
    subprocess.run(
        [sys.executable, "-m", "sealdrop.cli", "init", "--submission-key", str(key_file)],
        env={**os.environ, **env}, check=True, capture_output=True,
    )

    sample = base / "upload.bin"
    started = time.perf_counter()
    expected_sha = write_random_file(sample, args.size)
    print(f"wrote {megabytes(args.size):,.0f} MB of random bytes in "
          f"{time.perf_counter() - started:.1f} s; sha256 {expected_sha[:16]}...")

    server = start_server(env, base / "gunicorn.log")
    runs: list[Run] = []
    failed = False
    try:
        worker = server.worker()
        client = SourceClient(server.port)
        client.create_source()
        print(f"gunicorn arbiter {server.process.pid}, worker {worker}, port {server.port}; "
              "source created")
        upload = upload_curl if args.client == "curl" else upload_python
        store = data_dir / "store"
        for number in range(1, args.runs + 1):
            csrf = client.csrf_token()
            before = set(store.glob("*/*-doc.gz.gpg"))
            rss_before = status_kb(worker, "VmRSS")
            hwm_before = status_kb(worker, "VmHWM")
            hwm_was_reset = reset_hwm(worker)
            cpu_before = cpu_seconds(worker)
            client_before = client_cpu()
            sampler = Sampler(worker, data_dir, [server.log_path])
            sampler.start()
            profiler = None
            if args.profile and number == 1:
                profiler = start_profiler(worker, args.profile, base / "profile.txt")
            result = upload(client, sample, csrf)
            client_used = client_cpu() - client_before
            watch = sampler.stop()
            cpu_after = cpu_seconds(worker)
            hwm = status_kb(worker, "VmHWM")
            if profiler is not None:
                profiler.wait()
            print(f"run {number}: upload {result.detail} in {result.seconds:.2f} s")

            gpg_default = gpg_plain = None
            if not args.no_baseline:
                gpg_default = gpg_encrypt_seconds(reader_home, fingerprint, sample, [])
                gpg_plain = gpg_encrypt_seconds(
                    reader_home, fingerprint, sample, ["--compress-algo", "none"]
                )

            verified = "failed"
            if result.ok:
                new = sorted(set(store.glob("*/*-doc.gz.gpg")) - before)
                if len(new) != 1:
                    verified = f"{len(new)} new stored files"
                else:
                    digest, size, problem = decrypted_sha256(reader_home, new[0])
                    ciphertext = new[0].stat().st_size
                    verified = problem or ("ok" if digest == expected_sha else "DIFFERS")
                    print(f"run {number}: stored {new[0].name}, {ciphertext:,} B ciphertext, "
                          f"{size:,} B after gunzip, sha256 {verified}")
                    if not args.keep_temp:
                        new[0].unlink()
            failed = failed or verified != "ok"
            runs.append(Run(
                size=args.size, upload=result, watch=watch, rss_before_kb=rss_before,
                hwm_before_kb=hwm_before, hwm_kb=hwm, hwm_was_reset=hwm_was_reset,
                client_cpu=client_used,
                worker_cpu=cpu_after[0] - cpu_before[0], gpg_cpu=cpu_after[1] - cpu_before[1],
                gpg_default=gpg_default, gpg_plain=gpg_plain, verified=verified,
            ))
            if verified != "ok" and not args.keep_going:
                break
    finally:
        server.stop()
        for home in agents:
            subprocess.run(
                ["gpgconf", "--homedir", str(home), "--kill", "gpg-agent"],
                check=False, capture_output=True,
            )

    if any(not r.upload.ok for r in runs):
        print("\ngunicorn log (tail):")
        print("\n".join(server.log_path.read_text(errors="replace").splitlines()[-20:]))
    print_table(runs, args.client)
    print_targets(runs)
    print_files(runs)
    if args.profile:
        summarise_profile(base / "profile.txt")
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=parse_size, default=500_000_000,
                        help="bytes to upload: 500000000 (default), 50M, 2G, 512MiB")
    parser.add_argument("--runs", type=int, default=1, help="uploads in a row (default 1)")
    parser.add_argument("--client", choices=["python", "curl"], default="python",
                        help="http.client with a streamed body (default) or curl -F")
    parser.add_argument("--keep-going", action="store_true",
                        help="carry on with the next run after a failed one")
    parser.add_argument("--no-baseline", action="store_true", help="skip the gpg baselines")
    parser.add_argument("--profile", type=int, metavar="SECONDS", default=0,
                        help="record the worker with py-spy for SECONDS during the first upload")
    parser.add_argument("--keep-temp", action="store_true",
                        help="leave the temp dir (keys, data, submissions) for inspection")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if args.client == "curl" and not shutil.which("curl"):
        parser.error("curl is not installed")
    temp_root = Path("/tmp")  # noqa: S108 - a short path: gpg-agent sockets need one
    free = shutil.disk_usage(temp_root).free
    if free < 3 * args.size:
        parser.error(f"{temp_root} has {free:,} bytes free; the run needs ~3x --size")
    base = Path(tempfile.mkdtemp(prefix="sdb", dir=temp_root))
    try:
        return benchmark(args, base)
    finally:
        if args.keep_temp:
            print(f"\nkept {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
