"""Start and stop a throwaway PostgreSQL server on 127.0.0.1 from Debian's packages, for tests."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

PG_ROOT = Path("/usr/lib/postgresql")
SUPERUSER = "sealdrop"
# --no-sync: a cluster that lives for one test session needs no fsync at creation either.
INITDB_OPTIONS = ("-A", "trust", "-U", SUPERUSER, "-E", "UTF8", "--locale=C", "--no-sync")
# Durability is worthless for a database that dies with the test session; speed is not.
SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
}


@dataclass
class PostgresServer:
    """A running server; `url` names its `sealdrop` database for SQLAlchemy with psycopg 3."""

    url: str
    port: int
    bin_dir: Path
    data_dir: Path
    pid: int
    runner: list[str] = field(default_factory=list)
    scratch_dir: Path | None = None  # our own temp dir to delete, when running as root
    stopped: bool = False

    def stop(self) -> None:
        """Stop the server quickly; kill it if it does not go within a few seconds."""
        if self.stopped:
            return
        self.stopped = True
        pg_ctl = [str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir)]
        done = subprocess.run(
            [*self.runner, *pg_ctl, "stop", "-m", "fast", "-w", "-t", "10"],
            capture_output=True,
            check=False,
        )
        if done.returncode != 0:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
        if self.scratch_dir is not None:
            shutil.rmtree(self.scratch_dir, ignore_errors=True)


def find_bin_dir() -> Path:
    """Debian's newest server binaries; /usr/local/bin may hold other pg_ctl builds or links."""
    found = []
    for candidate in PG_ROOT.glob("*/bin/pg_ctl"):
        version = candidate.parent.parent.name
        if version.replace(".", "").isdigit() and os.access(candidate, os.X_OK):
            found.append((tuple(int(part) for part in version.split(".")), candidate.parent))
    if not found:
        raise RuntimeError(
            f"No PostgreSQL server found under {PG_ROOT}/*/bin: run `make system-deps` "
            "(apt-get install postgresql) before the tests."
        )
    return max(found)[1]


def start_postgres(base_dir: Path) -> PostgresServer:
    """Initialise a cluster with trust auth for user `sealdrop`, start it and create `sealdrop`."""
    bin_dir = find_bin_dir()
    runner, root = _runner_and_root(base_dir)
    try:
        server = _init_and_start(bin_dir, runner, root)
    except BaseException:
        if runner:
            shutil.rmtree(root, ignore_errors=True)
        raise
    try:
        create_database(server, "sealdrop")
    except BaseException:
        server.stop()
        raise
    return server


def _init_and_start(bin_dir: Path, runner: list[str], root: Path) -> PostgresServer:
    data_dir, sock_dir, log = root / "data", root / "sock", root / "server.log"
    initdb = [str(bin_dir / "initdb"), "-D", str(data_dir), *INITDB_OPTIONS]
    _run([*runner, *initdb], cwd=root)
    sock_dir.mkdir(mode=0o700)
    if runner:
        shutil.chown(sock_dir, user="postgres", group="postgres")
    port = _free_port()
    settings = {**SETTINGS, "port": str(port), "unix_socket_directories": f"'{sock_dir}'"}
    with (data_dir / "postgresql.conf").open("a", encoding="utf-8") as conf:
        conf.writelines(f"{key} = {value}\n" for key, value in settings.items())
    pg_ctl = [*runner, str(bin_dir / "pg_ctl"), "-D", str(data_dir), "-l", str(log)]
    try:
        _run([*pg_ctl, "start", "-w", "-t", "30"], cwd=root)
    except RuntimeError as error:
        log_tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        raise RuntimeError(f"{error}\nserver log:\n{log_tail}") from error
    pid = int((data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
    return PostgresServer(
        url=_url(port, "sealdrop"),
        port=port,
        bin_dir=bin_dir,
        data_dir=data_dir,
        pid=pid,
        runner=runner,
        scratch_dir=root if runner else None,
    )


def create_database(server: PostgresServer, name: str) -> str:
    """Create an empty database and return its SQLAlchemy URL; `name` must be an identifier."""
    if not name.isidentifier() or len(name) > 63:
        raise ValueError(f"not a usable database name: {name!r}")
    conninfo = f"host=127.0.0.1 port={server.port} user={SUPERUSER} dbname=postgres"
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return _url(server.port, name)


def _runner_and_root(base_dir: Path) -> tuple[list[str], Path]:
    """PostgreSQL refuses to run as root, so root runs it as `postgres` in a dir it can reach.

    pytest's base temp dir is 0700 root, which `postgres` cannot enter; hence a separate temp dir.
    """
    if os.geteuid() != 0:
        root = base_dir / "postgres"
        root.mkdir(parents=True)
        return [], root
    if shutil.which("runuser") is None:
        raise RuntimeError("running as root needs runuser (util-linux) to start PostgreSQL")
    try:
        root = Path(tempfile.mkdtemp(prefix="sealdrop-pg-"))
        shutil.chown(root, user="postgres", group="postgres")
    except LookupError as error:
        raise RuntimeError("no `postgres` user: is Debian's postgresql installed?") from error
    return ["runuser", "-u", "postgres", "--"], root


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _run(command: list[str], *, cwd: Path) -> None:
    started = time.monotonic()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command)} failed ({done.returncode}) after "
            f"{time.monotonic() - started:.1f} s:\n{done.stdout}{done.stderr}"
        )


def _url(port: int, database: str) -> str:
    return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{port}/{database}"
