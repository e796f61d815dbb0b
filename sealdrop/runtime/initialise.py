"""`sealdrop init`: the data directory, its secrets, the schema and the first reader key."""

from __future__ import annotations

import datetime as dt
import os
import secrets
from pathlib import Path

from sealdrop.config import Config, KdfCost
from sealdrop.crypto.gpg import Gpg
from sealdrop.crypto.scratch import require_ram
from sealdrop.db import migrate
from sealdrop.db.engine import make_engine, make_sessionmaker
from sealdrop.domain.keys import Fingerprint
from sealdrop.services import devices, keyring_move, reader_keys, revocations
from sealdrop.services.settings import instance_settings
from sealdrop.storage.device_spool import DeviceSpool
from sealdrop.storage.store import Store


def _write_secrets(path: Path, cost: KdfCost) -> None:
    lines = [
        f'{name} = "{secrets.token_hex(32)}"'
        for name in (
            "filesystem_id_salt",
            "reply_key_salt",
            "source_session_key",
            "journalist_session_key",
        )
    ]
    lines.append(f"kdf = {{ n = {cost.n}, r = {cost.r}, p = {cost.p} }}")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("# Made by `sealdrop init`. Losing this file locks every source out.\n")
        handle.write("\n".join(lines) + "\n")


def _add_journalist_session_key(path: Path) -> None:
    """Data directories made before the journalist app get its session key at the next init."""
    with path.open("a", encoding="utf-8") as handle:
        handle.write(f'journalist_session_key = "{secrets.token_hex(32)}"\n')


def initialise(config: Config, *, submission_key: str | None) -> list[Fingerprint]:
    """Create the data directory, secrets and schema; add the first reader key if given.

    Safe to run again, with the same key too; returns the active reader keys' fingerprints.
    Further keys are added with `sealdrop keys add`.

    On an instance made by an older version it also moves the keys out of the old keyring
    into the database and wipes that keyring, after which the server may start again.
    """
    config.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    config.data_dir.chmod(0o700)
    if not config.secrets_path.exists():
        _write_secrets(config.secrets_path, config.kdf)
    elif config.secrets is not None and config.secrets.journalist_session_key is None:
        _add_journalist_session_key(config.secrets_path)
    gpg = Gpg(require_ram(config.gpg_scratch_dir))
    engine = make_engine(config.database_url)
    try:
        if submission_key:  # a bad key is refused before anything is written
            gpg.inspect_public_key(submission_key)
        migrate.upgrade(engine)
        Store(config.store_dir)
        DeviceSpool(config.device_spool).ensure()
        with make_sessionmaker(engine)() as session:
            keyring_move.migrate_legacy_home(session, config.legacy_gpg_home)
            revocations.round_existing(session)
            instance_settings(session)
            session.commit()
            devices.respool(session, config)
            if submission_key:
                today = dt.datetime.now(dt.UTC).date()
                reader_keys.add_first_key(session, gpg, submission_key, today=today)
            return [key.fingerprint for key in reader_keys.active_keys(session)]
    finally:
        engine.dispose()
