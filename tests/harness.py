"""Test helpers behind the shared fixtures: the newsroom's reader keyring and a config factory."""

from __future__ import annotations

import contextlib
import datetime as dt
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from sealdrop.config import Config, load_config
from sealdrop.config.settings import SECRETS_FILE
from sealdrop.crypto.homes import Keyring
from sealdrop.db import migrate
from sealdrop.db.engine import make_engine
from sealdrop.db.models import Submission
from sealdrop.domain import codenames
from sealdrop.domain.codenames import Codename
from sealdrop.domain.keys import Fingerprint, PublicKey
from sealdrop.runtime.initialise import _write_secrets, initialise
from sealdrop.runtime.instance import Instance, open_instance
from sealdrop.services.intake import require_open
from sealdrop.services.sources import SourceLogin, begin_source, create_row
from sealdrop.services.submissions import accept_message

TODAY = dt.date(2024, 5, 1)
NOW = dt.datetime(2024, 5, 1, 12, 0, 0)
# scrypt at N=1024 costs about 1 ms; production's N=16384 would make every source test slow.
FAST_KDF = {"SEALDROP_KDF_N": "1024", "SEALDROP_KDF_R": "8", "SEALDROP_KDF_P": "1"}
# Argon2id at its cheapest for journalist passphrases; the cost is config, never patched.
FAST_ARGON2 = {
    "SEALDROP_JOURNALIST_ARGON2_TIME_COST": "1",
    "SEALDROP_JOURNALIST_ARGON2_MEMORY_KIB": "64",
    "SEALDROP_JOURNALIST_ARGON2_PARALLELISM": "1",
}


def instance_env(data_dir: Path) -> dict[str, str]:
    """An instance's environment for a test: its data directory, cheap KDF and password-hash
    costs, no free-space floor."""
    return {
        "SEALDROP_DATA_DIR": str(data_dir),
        "SEALDROP_MIN_FREE_BYTES": "0",
        **FAST_KDF,
        **FAST_ARGON2,
    }


@dataclass(frozen=True)
class ReaderKeys:
    """The newsroom's air-gapped reader machine: the only holder of the Submission private key."""

    gpg: Keyring
    fingerprint: Fingerprint
    public_key: str

    @property
    def key(self) -> PublicKey:
        """The Submission Key as the server holds it."""
        return PublicKey(self.fingerprint, self.public_key)

    def decrypt(self, path: Path) -> bytes:
        """Decrypt with the gpg command line, as the reader would, outside any server code."""
        done = subprocess.run(
            ["gpg", "--homedir", str(self.gpg.home), "--batch", "--quiet", "--decrypt", str(path)],
            capture_output=True,
            check=False,
        )
        if done.returncode != 0:
            raise AssertionError(f"the reader cannot decrypt {path}: {done.stderr.decode()}")
        return done.stdout

    def can_decrypt(self, path: Path) -> bool:
        """Whether this reader alone opens `path`; the gpg command line, as the reader has it."""
        try:
            self.decrypt(path)
        except AssertionError:
            return False
        return True

    def export_secret_key(self) -> str:
        """The armored secret key, to prove the server refuses it."""
        done = subprocess.run(
            [
                "gpg",
                "--homedir",
                str(self.gpg.home),
                "--batch",
                "--armor",
                "--export-secret-keys",
                self.fingerprint,
            ],
            capture_output=True,
            check=True,
            text=True,
        )
        return done.stdout


@dataclass(frozen=True)
class OddKeys:
    """Armored public keys the reader-key policy refuses, and one valid for 20 more days."""

    revoked: str
    expired: str
    weak: str
    expires_in_20_days: str


@dataclass
class InitialisedTemplates:
    """Data directories made once per session by the real `initialise`, to be copied per test.

    One template per distinct set-up (the environment less the data directory, and the key):
    `sealdrop init` runs gpg and Alembic, ~0.1-0.4 s, where copying its result takes ~2 ms.
    Alembic runs the migrations once per session, into `migrated_sqlite()`: each template's
    database starts as a copy of that file, so its `initialise` finds the schema at the head
    and does the rest for real. Each copy gets secrets of its own, written as `initialise`
    writes them, so no two instances share a salt. Only the default SQLite database is
    copied; any other database URL is initialised for real.
    """

    base: Path
    _made: dict[tuple[frozenset[tuple[str, str]], str | None], Path] = field(default_factory=dict)
    _migrated: Path | None = None

    def migrated_sqlite(self) -> Path:
        """An SQLite file Alembic migrated to the head revision, made on first use."""
        if self._migrated is None:
            path = Path(tempfile.mkdtemp(prefix="m", dir=self.base)) / "migrated.sqlite"
            engine = make_engine(f"sqlite:///{path}")
            try:
                migrate.upgrade(engine)
            finally:
                engine.dispose()
            self._migrated = path
        return self._migrated

    def data_dir(self, env: Mapping[str, str], submission_key: str | None) -> Path:
        """The template's data directory for this set-up, made by `initialise` on first use."""
        recipe = frozenset((k, v) for k, v in env.items() if k != "SEALDROP_DATA_DIR")
        made = self._made.get((recipe, submission_key))
        if made is None:
            made = Path(tempfile.mkdtemp(prefix="t", dir=self.base)) / "data"
            config = load_config({**env, "SEALDROP_DATA_DIR": str(made)})
            database = config.database_path
            if database is not None and made in database.parents:
                made.mkdir(mode=0o700)
                shutil.copy2(self.migrated_sqlite(), database)
            initialise(config, submission_key=submission_key)
            self._made[(recipe, submission_key)] = made
        return made

    def copy_into(self, config: Config, env: Mapping[str, str], submission_key: str | None) -> None:
        """Make `config.data_dir` what `initialise(config, submission_key=...)` would make."""
        template = self.data_dir(env, submission_key)
        # copytree keeps every mode (copystat), so the copy is as private as the original.
        shutil.copytree(template, config.data_dir, ignore=shutil.ignore_patterns(SECRETS_FILE))
        _write_secrets(config.secrets_path, config.kdf)


@dataclass
class ConfigFactory:
    """Makes a Config per call, each in its own short data directory (gpg sockets need short paths).

    `env()` gives the variables a CLI subprocess needs; `reload()` reads secrets written since.
    With `templates`, `instance()` copies an initialised data directory instead of running init.
    """

    base: Path
    templates: InitialisedTemplates | None = None
    _envs: dict[Path, dict[str, str]] = field(default_factory=dict)

    def env(
        self, *, database_url: str | None = None, extra: Mapping[str, str] | None = None
    ) -> dict[str, str]:
        data_dir = Path(tempfile.mkdtemp(prefix="d", dir=self.base)) / "data"
        env = instance_env(data_dir)
        if database_url is not None:
            env["SEALDROP_DATABASE_URL"] = database_url
        env.update(extra or {})
        self._envs[data_dir] = env
        return env

    def __call__(
        self, *, database_url: str | None = None, extra: Mapping[str, str] | None = None
    ) -> Config:
        return load_config(self.env(database_url=database_url, extra=extra))

    def reload(self, config: Config) -> Config:
        return load_config(self._envs[config.data_dir])

    def initialised(
        self,
        *,
        submission_key: str | None,
        database_url: str | None = None,
        extra: Mapping[str, str] | None = None,
    ) -> Config:
        """A new data dir as `sealdrop init` leaves it (with the key, if any): its config.

        On the default SQLite database, a copy of the session's template for the same set-up;
        `env()` of the result is what a `sealdrop` command run on it needs.
        """
        config = self(database_url=database_url, extra=extra)
        env = self._envs[config.data_dir]
        if self.templates is not None and "SEALDROP_DATABASE_URL" not in env:
            self.templates.copy_into(config, env, submission_key)
        else:
            initialise(config, submission_key=submission_key)
        return self.reload(config)

    def env_of(self, config: Config) -> dict[str, str]:
        """The variables `config` was loaded from: what a `sealdrop` command on it needs."""
        return dict(self._envs[config.data_dir])

    @contextlib.contextmanager
    def instance(
        self,
        *,
        submission_key: str | None,
        database_url: str | None = None,
        extra: Mapping[str, str] | None = None,
    ) -> Iterator[Instance]:
        """`sealdrop init` on a new data dir (with the key, if any), then the opened instance."""
        config = self.initialised(
            submission_key=submission_key, database_url=database_url, extra=extra
        )
        opened = open_instance(config)
        try:
            yield opened
        finally:
            opened.close()


def new_source(inst: Instance, session: Session) -> tuple[Codename, SourceLogin]:
    """A source with a row and key, as its first submission makes it; and its codename."""
    codename = codenames.generate()
    new = begin_source(session, config=inst.config, codename=codename)
    source = create_row(session, inst.gpg, new=new, today=TODAY)
    session.commit()
    return codename, SourceLogin(source, new.reply_passphrase)


def source_with_a_message(
    inst: Instance, session: Session, text: str, *, recipients: list[PublicKey]
) -> tuple[SourceLogin, Submission]:
    """new_source(), then one message from it, stored encrypted to `recipients`."""
    _, login = new_source(inst, session)
    record = accept_message(
        session,
        inst.store,
        inst.gpg,
        source=login.source,
        text=text,
        recipients=recipients,
        today=TODAY,
    )
    return login, record


def a_source(inst: Instance, text: str = "hello") -> str:
    with inst.sessions() as session:
        to = require_open(session, inst.store, inst.gpg, config=inst.config, incoming_bytes=0)
        login, _ = source_with_a_message(inst, session, text, recipients=to)
        return login.source.uuid
