"""An instance's collaborators (database, store, keyring), its set-up, and its public facts."""

from __future__ import annotations

import os
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from sealdrop import __version__
from sealdrop.config import Config, KdfCost
from sealdrop.crypto.gpg import Fingerprint, Gpg
from sealdrop.db import migrate
from sealdrop.db.engine import make_engine, make_sessionmaker
from sealdrop.db.models import InstanceSettings
from sealdrop.errors import ConfigError, NotFound, SubmissionsClosed
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

    def close(self, *, stop_agent: bool = True) -> None:
        """Release the database; stop gpg-agent unless a live server may be using it."""
        if stop_agent:
            self.gpg.close()
        self.engine.dispose()


def open_instance(config: Config) -> Instance:
    """Open an initialised data directory; raise ConfigError if `sealdrop init` has not run."""
    config.require_secrets()
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
    store = Store(config.store_dir)
    store.remove_stale_staging(STALE_STAGING_SECONDS)
    return Instance(config, engine, make_sessionmaker(engine), store, Gpg(config.gpg_home))


def _write_secrets(path: Path, cost: KdfCost) -> None:
    lines = [
        f'{name} = "{secrets.token_hex(32)}"'
        for name in ("source_id_salt", "reply_key_salt", "source_session_key")
    ]
    lines.append(f"kdf = {{ n = {cost.n}, r = {cost.r}, p = {cost.p} }}")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("# Made by `sealdrop init`. Losing this file locks every source out.\n")
        handle.write("\n".join(lines) + "\n")


def initialise(config: Config, *, submission_key: str | None) -> Fingerprint | None:
    """Create the data directory, secrets and schema; import the key if given. Safe to run again."""
    config.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    config.data_dir.chmod(0o700)
    if not config.secrets_path.exists():
        _write_secrets(config.secrets_path, config.kdf)
    gpg = Gpg(config.gpg_home)
    engine = make_engine(config.database_url)
    try:
        fingerprint = gpg.inspect_public_key(submission_key) if submission_key else None
        migrate.upgrade(engine)
        Store(config.store_dir)
        with make_sessionmaker(engine)() as session:
            settings = instance_settings(session)
            if submission_key:
                fingerprint = gpg.import_public_key(submission_key)
                settings.submission_key_fingerprint = fingerprint
            session.commit()
            return Fingerprint(settings.submission_key_fingerprint or "") or None
    finally:
        gpg.close()
        engine.dispose()


def instance_settings(session: Session) -> InstanceSettings:
    settings = session.get(InstanceSettings, 1)
    if settings is None:
        settings = InstanceSettings(id=1, allow_document_uploads=True)
        session.add(settings)
        session.flush()
    return settings


def submission_key_fingerprint(session: Session) -> Fingerprint | None:
    settings = session.get(InstanceSettings, 1)
    if settings is None or not settings.submission_key_fingerprint:
        return None
    return Fingerprint(settings.submission_key_fingerprint)


def uploads_allowed(session: Session) -> bool:
    """Whether sources may send files, or only messages (an admin setting)."""
    settings = session.get(InstanceSettings, 1)
    return settings.allow_document_uploads if settings else True


def submission_public_key(session: Session, gpg: Gpg) -> tuple[Fingerprint, str]:
    """The Submission public key, for sources who want to check or use it."""
    fingerprint = submission_key_fingerprint(session)
    if fingerprint is None:
        raise NotFound("This instance has no Submission Key yet.")
    return fingerprint, gpg.export_public_key(fingerprint)


def require_open(
    session: Session, store: Store, *, config: Config, incoming_bytes: int
) -> Fingerprint:
    """The Submission Key to encrypt to, or SubmissionsClosed when nothing can be taken now."""
    fingerprint = submission_key_fingerprint(session)
    if fingerprint is None:
        raise SubmissionsClosed(
            "This instance is not ready to take submissions yet. Please try again later."
        )
    require_space(store, config=config, incoming_bytes=incoming_bytes)
    return fingerprint


def require_space(store: Store, *, config: Config, incoming_bytes: int = 0) -> None:
    """SubmissionsClosed unless `incoming_bytes` more would leave the configured floor free."""
    if shutil.disk_usage(store.root).free - incoming_bytes < config.min_free_bytes:
        raise SubmissionsClosed(
            "This instance cannot take submissions right now. Please try again later."
        )


def public_metadata(session: Session, config: Config) -> dict[str, object]:
    """What `/metadata` tells the world: nothing about sources, only the instance's own facts."""
    return {
        "instance_name": config.instance_name,
        "sd_version": __version__,
        "server_os": "debian",
        "gpg_fpr": submission_key_fingerprint(session),
        "allow_document_uploads": uploads_allowed(session),
        "supported_languages": list(config.languages),
    }
