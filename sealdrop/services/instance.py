"""An instance's collaborators (database, store, gpg, throttle), its set-up, its public facts."""

from __future__ import annotations

import datetime as dt
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
from sealdrop.crypto.gpg import Fingerprint, Gpg, PublicKey
from sealdrop.crypto.scratch import require_ram, sweep_stale_homes
from sealdrop.db import migrate
from sealdrop.db.engine import make_engine, make_sessionmaker
from sealdrop.db.models import InstanceSettings
from sealdrop.errors import ConfigError, KeyImportError, NotFound, SubmissionsClosed, UploadTooLarge
from sealdrop.services import keyring_move, restamp, revocations
from sealdrop.services.throttle import LoginThrottle
from sealdrop.storage.store import Store

# Anything a crashed worker staged more than a day ago is garbage, never a live upload.
STALE_STAGING_SECONDS = 24 * 3600
# A gpg operation lasts seconds: a throwaway home an hour old belongs to a process that died.
STALE_SCRATCH_SECONDS = 3600
# Room for the form fields (CSRF token, message) on top of the files themselves.


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
        window_seconds=config.throttle_window_seconds,
        per_codename=config.failed_logins_per_codename,
        overall=config.failed_logins_global,
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


def restamp_instance(config: Config) -> int:
    """`sealdrop restamp`: file times of the store and database down to days (see restamp)."""
    inst = open_instance(config)
    try:
        today = dt.datetime.now(dt.UTC).date()
        with inst.sessions() as session:
            stamped = restamp.restamp_store(session, inst.store, today=today)
        restamp.restamp_data_dir(config, today=today)
        return stamped
    finally:
        inst.close()


def prepare_serving(config: Config) -> None:
    """What `sealdrop serve` checks and does before it starts workers; one clear error if not.

    A Submission Key that expired or was revoked stops the start: sources would otherwise
    upload whole files only to be refused at the end.
    """
    inst = open_instance(config)
    sweep_stale_homes(config.gpg_scratch_dir, older_than_seconds=STALE_SCRATCH_SECONDS)
    try:
        with inst.sessions() as session:
            usable_submission_key(session, inst.gpg)
    except SubmissionsClosed as exc:
        how = "import a valid one with `sealdrop init --submission-key FILE`"
        raise ConfigError(f"The Submission Key cannot be used ({exc.reason}): {how}.") from None
    finally:
        inst.close()
    restamp_instance(config)


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
    """Create the data directory, secrets and schema; import the key if given. Safe to run again.

    On an instance made by an older version it also moves the keys out of the old keyring
    into the database and wipes that keyring, after which the server may start again.
    """
    config.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    config.data_dir.chmod(0o700)
    if not config.secrets_path.exists():
        _write_secrets(config.secrets_path, config.kdf)
    gpg = Gpg(require_ram(config.gpg_scratch_dir))
    engine = make_engine(config.database_url)
    try:
        checked = gpg.inspect_public_key(submission_key) if submission_key else None
        migrate.upgrade(engine)
        Store(config.store_dir)
        with make_sessionmaker(engine)() as session:
            keyring_move.migrate_legacy_home(session, config.legacy_gpg_home)
            revocations.round_existing(session)
            settings = instance_settings(session)
            if checked is not None:
                settings.submission_key_fingerprint = checked.fingerprint
                settings.submission_public_key = checked.armored
            session.commit()
            return Fingerprint(settings.submission_key_fingerprint or "") or None
    finally:
        engine.dispose()


def instance_settings(session: Session) -> InstanceSettings:
    settings = session.get(InstanceSettings, 1)
    if settings is None:
        settings = InstanceSettings(id=1, allow_document_uploads=True)
        session.add(settings)
        session.flush()
    return settings


def submission_key(session: Session) -> PublicKey | None:
    settings = session.get(InstanceSettings, 1)
    if settings is None or not settings.submission_key_fingerprint:
        return None
    return PublicKey(
        Fingerprint(settings.submission_key_fingerprint), settings.submission_public_key or ""
    )


def submission_key_fingerprint(session: Session) -> Fingerprint | None:
    key = submission_key(session)
    return key.fingerprint if key else None


def uploads_allowed(session: Session) -> bool:
    """Whether sources may send files, or only messages (an admin setting)."""
    settings = session.get(InstanceSettings, 1)
    return settings.allow_document_uploads if settings else True


def submission_public_key(session: Session, _gpg: Gpg | None = None) -> tuple[Fingerprint, str]:
    """The Submission public key, for sources who want to check or use it."""
    key = submission_key(session)
    if key is None:
        raise NotFound("This instance has no Submission Key yet.")
    return key.fingerprint, key.armored


def usable_submission_key(session: Session, gpg: Gpg) -> PublicKey | None:
    """The Submission Key if it can be encrypted to now; SubmissionsClosed if it expired or was
    revoked (the reason is for the admin's logs; sources see only that submissions are paused).

    gpg is told it is the end of the day while encrypting, so a key expiring later today
    already counts as expired here: it would fail at the end of an upload otherwise.
    """
    key = submission_key(session)
    if key is None:
        return None
    try:
        gpg.check_usable(key, at=_end_of_today(gpg))
    except KeyImportError as exc:
        raise SubmissionsClosed(
            "This instance cannot take submissions right now. Please try again later.",
            reason=str(exc),
        ) from None
    return key


def _end_of_today(gpg: Gpg) -> float:
    now = gpg.now()
    return now - now % 86400 + 86399


def require_open(
    session: Session, store: Store, gpg: Gpg, *, config: Config, incoming_bytes: int
) -> PublicKey:
    """The Submission Key to encrypt to, or why nothing can be taken now.

    Checked before a byte of the upload is read: UploadTooLarge (413) when the announced body
    is over the limit, which no wait would fix; SubmissionsClosed (503) when there is no
    usable Submission Key or too little free space.
    """
    if incoming_bytes > config.upload_body_bytes:
        raise UploadTooLarge(
            "The files are larger than this service accepts. Send smaller files, or fewer at once."
        )
    key = usable_submission_key(session, gpg)
    if key is None:
        raise SubmissionsClosed(
            "This instance is not ready to take submissions yet. Please try again later."
        )
    require_space(store, config=config, incoming_bytes=incoming_bytes)
    return key


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
