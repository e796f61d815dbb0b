"""Shared fixtures: a throwaway PostgreSQL, the newsroom's reader keyring, configs and instances."""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from sealdrop.crypto.homes import Keyring
from sealdrop.runtime.instance import Instance
from tests.cli_runner import WAYS, Sealdrop, as_a_process, in_process
from tests.fast_loop import excluded_marks, module_marks, skipped_folder
from tests.harness import ConfigFactory, InitialisedTemplates, OddKeys, ReaderKeys
from tests.pgserver import PostgresServer, create_database, start_postgres

# PostgreSQL runs are never skipped: if the server cannot start, start_postgres raises and every
# test that asked for it errors, so a green run always means both databases were exercised.
DATABASES = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    server = start_postgres(tmp_path_factory.mktemp("postgres"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """A fresh, empty database on the session's server."""
    return create_database(postgres_server, f"t_{uuid.uuid4().hex}")


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of each kind: SQLite in tmp_path, then PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.sqlite'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@contextlib.contextmanager
def reader_keyring(prefix: str, uid: str) -> Iterator[ReaderKeys]:
    """A reader machine's keyring with an unprotected key pair, removed with its agent at exit."""
    # gpg-agent's socket path must stay under ~100 characters; pytest's tmp_path can be longer.
    home = Path(tempfile.mkdtemp(prefix=prefix))
    gpg = Keyring(home)
    try:
        fingerprint = gpg.generate_reader_key_pair(uid)
        yield ReaderKeys(
            gpg=gpg, fingerprint=fingerprint, public_key=gpg.export_public_key(fingerprint)
        )
    finally:
        gpg.close()
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def reader_keys() -> Iterator[ReaderKeys]:
    """The reader machine's keyring with an unprotected Submission key pair."""
    with reader_keyring("sdr-", "Sealdrop test Submission Key") as keys:
        yield keys


@pytest.fixture(scope="session")
def second_reader_keys() -> Iterator[ReaderKeys]:
    """A second reader, in another office (or the successor of the first): its own keyring."""
    with reader_keyring("sdq-", "Sealdrop test second reader") as keys:
        yield keys


@pytest.fixture(scope="session")
def admin_keys() -> Iterator[ReaderKeys]:
    """An admin's key pair, to which backups are encrypted; its private half stays off servers."""
    with reader_keyring("sda-", "Sealdrop test admin") as keys:
        yield keys


@pytest.fixture(scope="session")
def initialised_templates() -> Iterator[InitialisedTemplates]:
    """Data directories initialised once for the session; `make_config.instance` copies them."""
    base = Path(tempfile.mkdtemp(prefix="sdt-"))
    try:
        yield InitialisedTemplates(base)
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def make_config(initialised_templates: InitialisedTemplates) -> Iterator[ConfigFactory]:
    """A factory of configs with cheap scrypt and no free-space floor, each in a new data dir."""
    base = Path(tempfile.mkdtemp(prefix="sdc-"))
    try:
        yield ConfigFactory(base, templates=initialised_templates)
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(params=DATABASES)
def instance(
    request: pytest.FixtureRequest, make_config: ConfigFactory, reader_keys: ReaderKeys
) -> Iterator[Instance]:
    """An initialised instance holding the reader's public Submission Key, on each database."""
    database_url: str | None = None
    if request.param == "postgresql":
        database_url = request.getfixturevalue("postgres_url")
    with make_config.instance(
        submission_key=reader_keys.public_key, database_url=database_url
    ) as opened:
        yield opened


@pytest.fixture(scope="session")
def expiring_keys_home() -> Iterator[Path]:
    home = Path(tempfile.mkdtemp(prefix="sdx-"))
    try:
        yield home
    finally:
        subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "gpg-agent"], check=False)
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def expiring_key(expiring_keys_home: Path) -> str:
    """An armored Curve25519 public key, valid now, that expires a minute before the UTC day
    ends: the server checks keys at the day's last second, so it counts as expired already.
    Made per test, as the test starts: one made earlier could outlive the day it was made for."""
    now = dt.datetime.now(dt.UTC)
    day_end = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(), dt.UTC)
    lifetime = int((day_end - now).total_seconds()) - 60
    if lifetime < 120:
        pytest.skip("the UTC day ends in under three minutes: no key can expire within it")
    uid = f"Soon {uuid.uuid4().hex} <s@example.org>"
    gpg = ["gpg", "--homedir", str(expiring_keys_home), "--batch", "--passphrase", ""]
    subprocess.run(
        [*gpg, "--quick-gen-key", uid, "future-default", "default", f"seconds={lifetime}"],
        check=True,
        capture_output=True,
    )
    return subprocess.run(
        [*gpg, "--armor", "--export", uid], check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture(params=WAYS)
def sealdrop(
    request: pytest.FixtureRequest,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> Sealdrop:
    """Run the `sealdrop` command as `sealdrop(env, *args)`, once in process, once as a process."""
    if request.param == "process":
        return as_a_process
    return in_process(capsys, monkeypatch)


@pytest.fixture(scope="session")
def odd_keys() -> Iterator[OddKeys]:
    """Public keys `sealdrop keys add` must refuse, and one it takes that expires in 20 days."""
    home = Path(tempfile.mkdtemp(prefix="sdo-"))

    def gpg(*args: str) -> str:
        return subprocess.run(
            ["gpg", "--homedir", str(home), "--batch", "--passphrase", "", *args],
            check=True,
            capture_output=True,
            text=True,
        ).stdout

    def export(uid: str) -> str:
        return gpg("--armor", "--export", uid)

    try:
        gpg("--quick-gen-key", "Revoked <r@example.org>", "future-default", "default", "never")
        [revoked] = (home / "openpgp-revocs.d").glob("*.rev")
        # gpg stores a revocation certificate with a colon guarding its armor line.
        (home / "revoke.asc").write_text(revoked.read_text().replace(":-----BEGIN", "-----BEGIN"))
        gpg("--import", str(home / "revoke.asc"))
        # Made "in 2020", valid for a day: long expired.
        gpg(
            "--faked-system-time",
            "20200101T000000",
            "--quick-gen-key",
            "Expired <x@example.org>",
            "future-default",
            "default",
            "1d",
        )
        gpg("--quick-gen-key", "Weak <w@example.org>", "nistp256", "sign", "never")
        weak = next(
            line.split(":")[9]
            for line in gpg("--with-colons", "--list-keys", "w@example.org").splitlines()
            if line.startswith("fpr:")
        )
        gpg("--quick-add-key", weak, "nistp256", "encr")
        gpg("--quick-gen-key", "Soon <s@example.org>", "future-default", "default", "20d")
        yield OddKeys(
            revoked=export("r@example.org"),
            expired=export("x@example.org"),
            weak=export("w@example.org"),
            expires_in_20_days=export("s@example.org"),
        )
    finally:
        subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "gpg-agent"], check=False)
        shutil.rmtree(home, ignore_errors=True)


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Under `-m "not a and not b"` (`make test-fast`), a module whose own `pytestmark` carries
    one of those marks is not imported at all: every test in it would be deselected anyway,
    after its import and collection cost their CPU (the schemathesis module ~4 s a process).
    A folder whose every module is left out is not entered, so its conftest is not imported."""
    excluded = excluded_marks(str(config.option.markexpr or ""))
    if not excluded:
        return None
    if collection_path.is_dir():
        # The browser tests' conftest alone imports Playwright: ~0.25 s a process.
        return True if skipped_folder(collection_path, excluded) else None
    if collection_path.suffix != ".py" or not collection_path.name.startswith("test_"):
        return None
    return True if module_marks(collection_path) & excluded else None


def pytest_collection_finish(session: pytest.Session) -> None:
    """Everything imported and collected by now lives for the whole run: moved out of the
    collector's reach, each full collection no longer walks it again (about 40% of the time the
    run spent collecting garbage)."""
    gc.collect()
    gc.freeze()
