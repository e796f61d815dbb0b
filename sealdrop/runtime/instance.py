"""An instance's collaborators (database, store, gpg, throttle), opened once per process."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from sealdrop.config import Config
from sealdrop.crypto.gpg import Gpg
from sealdrop.crypto.scratch import require_ram
from sealdrop.db import migrate
from sealdrop.db.engine import make_engine, make_sessionmaker
from sealdrop.errors import ConfigError
from sealdrop.services import keyring_move
from sealdrop.services.throttle import LoginThrottle
from sealdrop.storage.store import Store

# Anything a crashed worker staged more than a day ago is garbage, never a live upload.
STALE_STAGING_SECONDS = 24 * 3600


@dataclass
class Instance:
    """What a process needs to serve one instance; built once at start-up, closed at exit."""

    config: Config
    engine: Engine
    sessions: sessionmaker[Session]
    store: Store
    gpg: Gpg
    throttle: LoginThrottle

    def close(self) -> None:
        """Release the database (gpg keeps no agent between operations)."""
        self.engine.dispose()


def _login_throttle(config: Config) -> LoginThrottle:
    return LoginThrottle(
        window_seconds=config.source.throttle_window_seconds,
        per_codename=config.source.failed_logins_per_codename,
        overall=config.source.failed_logins_global,
    )


def _require_keys_moved(config: Config, sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        reason = keyring_move.legacy_state(session, config.legacy_gpg_home)
    if reason:
        raise ConfigError(f"Keys are not in the database yet ({reason}): run `sealdrop init`.")


def open_instance(config: Config) -> Instance:
    """Open an initialised data directory; raise ConfigError if `sealdrop init` has not run."""
    config.require_secrets()
    require_ram(config.gpg_scratch_dir)
    engine = make_engine(config.database_url)
    try:
        current = migrate.current_revision(engine)
    except SQLAlchemyError as exc:
        raise ConfigError(
            f"SEALDROP_DATABASE_URL: cannot open the database ({exc.__class__.__name__})"
        ) from None
    if current != migrate.HEAD_REVISION:
        engine.dispose()
        raise ConfigError("The database schema is not current: run `sealdrop init` to migrate it.")
    sessions = make_sessionmaker(engine)
    try:
        _require_keys_moved(config, sessions)
    except ConfigError:
        engine.dispose()
        raise
    store = Store(config.store_dir)
    store.remove_stale_staging(STALE_STAGING_SECONDS)
    gpg = Gpg(config.gpg_scratch_dir)
    return Instance(config, engine, sessions, store, gpg, _login_throttle(config))
