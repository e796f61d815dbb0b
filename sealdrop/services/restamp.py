"""`sealdrop restamp`: file times in the data directory brought down to days.

The store already sets each file's mtime to the day it was written, but the kernel keeps an
exact ctime (and atime moves on reads). Re-setting every time here makes each source's files and
folder show the day of its latest activity; the kernel then sets every ctime to the moment this
ran, the same for all files. A file written after the last run keeps its exact ctime until the
next run: run it daily (and `sealdrop serve` runs it at start-up).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from sealdrop.config import Config
from sealdrop.db.models import Source
from sealdrop.storage.store import Store


def _midnight(day: dt.date) -> float:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC).timestamp()


def _stamp(path: Path, moment: float) -> None:
    os.utime(path, (moment, moment), follow_symlinks=False)


def restamp_store(session: Session, store: Store, *, today: dt.date) -> int:
    """Set atime/mtime of each source's files and folder to its last activity day; returns
    how many paths were stamped. Folders of no known source get today."""
    rows = session.execute(select(Source.filesystem_id, Source.last_updated))
    days = {filesystem_id: day for filesystem_id, day in rows}
    stamped = 0
    for folder in store.root.iterdir():
        moment = _midnight(days.get(folder.name, today))
        if folder.is_dir():
            for child in folder.iterdir():
                _stamp(child, moment)
                stamped += 1
        _stamp(folder, moment)
        stamped += 1
    latest = max(days.values(), default=today)
    _stamp(store.root, _midnight(latest))
    return stamped + 1


def restamp_data_dir(config: Config, *, today: dt.date) -> None:
    """The database file(s), secrets, the device spool and data directory itself: today, to
    the day (a spool file's time would tell when a device was added)."""
    moment = _midnight(today)
    database = config.database_path
    spool = config.device_spool
    paths = [config.secrets_path, *(spool.glob("*.auth") if spool.is_dir() else []), spool]
    paths.append(config.data_dir)
    if database is not None:
        paths[:0] = [database, database.with_name(database.name + "-journal")]
    for path in paths:
        if path.exists():
            _stamp(path, moment)
