"""The one-time move out of the GnuPG home older versions kept in the data directory.

Each source's key goes into its row, the Submission public key into its reader key row, then every
file of the old home is overwritten and removed: a keybox keeps deleted keys, and creation
times to the second, for as long as it exists.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from sealdrop.crypto.homes import read_legacy_keyring
from sealdrop.db.models import ReaderKey, Source
from sealdrop.errors import ConfigError

_WIPE_CHUNK = 1 << 20


def move_keys_out(session: Session, home: Path) -> int:
    """Copy every key of `home` the database needs into the database; commits; returns how many.

    A source row whose key is missing from the old home is an error: nothing is wiped then.
    """
    pairs, public = read_legacy_keyring(home)
    moved = 0
    for source in session.scalars(select(Source).where(Source.secret_key.is_(None))):
        key = pairs.get(source.key_fingerprint)  # type: ignore[call-overload] # a Fingerprint
        if key is None:
            what = f"{home}: no key for source {source.journalist_designation!r}"
            raise ConfigError(f"{what}; keep the directory, restore the key, run init again")
        source.public_key, source.secret_key = key.public.armored, key.secret
        moved += 1
    armored: dict[str, str] = {key.fingerprint: key.armored for key in public}
    for reader in session.scalars(select(ReaderKey).where(ReaderKey.public_key.is_(None))):
        reader.public_key = armored.get(reader.fingerprint)
        if reader.public_key is None:
            raise ConfigError(f"{home}: the Submission public key is not in the old keyring")
    session.commit()
    return moved


def _overwrite(path: Path) -> None:
    size = path.lstat().st_size
    with path.open("r+b", buffering=0) as handle:
        zeros = bytes(_WIPE_CHUNK)
        for offset in range(0, size, _WIPE_CHUNK):
            handle.write(zeros[: min(_WIPE_CHUNK, size - offset)])
        os.fsync(handle.fileno())


def wipe_home(home: Path) -> None:
    """Overwrite each regular file of `home` (pubring.kbx and its backup, private-keys-v1.d,
    trustdb.gpg, random_seed, ...), then remove everything, sockets and folders included."""
    for directory, folders, files in os.walk(home, topdown=False):
        base = Path(directory)
        for name in files:
            path = base / name
            if path.is_file() and not path.is_symlink():
                _overwrite(path)
            path.unlink()
        for name in folders:
            (base / name).rmdir()
    home.rmdir()


def migrate_legacy_home(session: Session, home: Path) -> int:
    """move_keys_out() then wipe_home(); nothing to do when the old home is gone already."""
    if not home.exists():
        return 0
    moved = move_keys_out(session, home)
    wipe_home(home)
    return moved


def legacy_state(session: Session, home: Path) -> str | None:
    """Why this data directory still needs the move, or None when it is done."""
    if home.exists():
        return f"{home} (the old GnuPG home) is still there"
    missing = session.scalar(select(Source.id).where(Source.secret_key.is_(None)).limit(1))
    if missing is not None:
        return "some sources have no key in the database"
    unmoved = session.scalar(select(ReaderKey.id).where(ReaderKey.public_key.is_(None)).limit(1))
    if unmoved is not None:
        return "the Submission public key is not in the database"
    return None
