"""What a seized data directory shows of a source once it was created, replied to and deleted.

Nothing that names its key (the fingerprint, in any case) and no time finer than a day, in any
file's content or its modification and access times, once the daily restamp ran.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

from sqlalchemy.orm import Session

from sealdrop.db.models import Reply, Source
from sealdrop.domain import codenames
from sealdrop.runtime import startup
from sealdrop.runtime.instance import Instance
from sealdrop.services import revocations
from sealdrop.services.intake import usable_reader_keys
from sealdrop.services.replies import create_reply, replies_for_source
from sealdrop.services.sources import NewSource, begin_source, delete_source, find
from sealdrop.services.submissions import accept_message
from sealdrop.services.throttle import LoginThrottle
from tests.harness import ConfigFactory, ReaderKeys

# A date with a time of day that is not midnight, as SQLite or any text would store it.
FINE_TIME = re.compile(rb"\d{4}-\d{2}-\d{2}[ T](?!00:00:00)\d{2}:\d{2}:\d{2}")


def times_of_everything(root: Path) -> dict[Path, os.stat_result]:
    """Each path's times, taken before the folder holding it is listed (listing moves atime)."""
    found = {root: root.lstat()}
    if root.is_dir():
        for child in sorted(root.iterdir()):
            found.update(times_of_everything(child))
    return found


def first_message_and_reply(
    inst: Instance, session: Session, *, message: str, reply: str
) -> tuple[NewSource, Source, Reply]:
    """A source made by its first submission, and a journalist's reply to it."""
    today = dt.datetime.now(dt.UTC).date()
    new = begin_source(session, config=inst.config, codename=codenames.generate())
    [key] = usable_reader_keys(session, inst.gpg)
    accept_message(
        session, inst.store, inst.gpg, source=new, text=message, recipients=[key], today=today
    )
    source = find(session, new.filesystem_id)
    assert source is not None
    answer = create_reply(
        session, inst.store, inst.gpg, source=source, text=reply, readers=[key], today=today
    )
    return new, source, answer


def live_through_a_source(inst: Instance) -> str:
    """Create a source by its first submission, reply, read the reply, delete the source."""
    with inst.sessions() as session:
        new, source, _ = first_message_and_reply(inst, session, message="first", reply="thanks")
        fingerprint = source.key_fingerprint
        [shown] = replies_for_source(
            session, inst.store, inst.gpg, source=source, passphrase=new.reply_passphrase
        )
        assert shown.text == "thanks"
        delete_source(session, inst.store, source=source)
    return fingerprint


def test_a_deleted_source_leaves_no_fingerprint_and_no_fine_time(
    make_config: ConfigFactory, reader_keys: ReaderKeys
) -> None:
    with make_config.instance(submission_key=reader_keys.public_key) as inst:
        # A wrong login and a logout happen too: neither may leave a moment behind.
        LoginThrottle(window_seconds=60, per_codename=5, overall=100).record_failure("x" * 52)
        with inst.sessions() as session:
            revocations.revoke(
                session,
                session_id="sid",
                expires=dt.datetime(2030, 5, 1, 13, 47, 12),
                now=dt.datetime(2030, 5, 1, 9, 47, 12),
            )
        fingerprint = live_through_a_source(inst)
        config = inst.config
    startup.restamp_instance(config)

    # Times first: reading a file would move its atime.
    times = times_of_everything(config.data_dir)
    for path, info in times.items():
        assert info.st_mtime % 86400 == 0, f"{path}: mtime {info.st_mtime}"
        assert info.st_atime % 86400 == 0, f"{path}: atime {info.st_atime}"
    files = [path for path in times if path.is_file()]
    assert files, "the data directory holds files"
    forms = {
        fingerprint.upper().encode(),
        fingerprint.lower().encode(),
        fingerprint[-16:].upper().encode(),
        fingerprint[-16:].lower().encode(),
    }
    for path in files:
        data = path.read_bytes()
        assert not [form for form in forms if form in data], f"{path} names the source's key"
        assert not FINE_TIME.search(data), f"{path} holds a time of day"


def test_reading_replies_leaves_their_access_time_alone(
    make_config: ConfigFactory, reader_keys: ReaderKeys
) -> None:
    """A reply's atime would tell when its source last logged in: gpg reads it with O_NOATIME."""
    with (
        make_config.instance(submission_key=reader_keys.public_key) as inst,
        inst.sessions() as session,
    ):
        new, source, reply = first_message_and_reply(inst, session, message="m", reply="r")
        path = inst.store.path_of(source.filesystem_id, reply.filename)
        os.utime(path, (86400, 86400))
        replies_for_source(
            session, inst.store, inst.gpg, source=source, passphrase=new.reply_passphrase
        )
        assert path.stat().st_atime == 86400
