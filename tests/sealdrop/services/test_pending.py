"""Pending sources are removed after a while, with their keys and folders; others stay."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

from sqlalchemy import select

from sealdrop.crypto.gpg import Fingerprint
from sealdrop.db.models import Source
from sealdrop.services.instance import Instance, require_open
from sealdrop.services.pending import purge_pending
from sealdrop.services.submissions import accept_message
from tests.harness import TODAY, ConfigFactory, ReaderKeys, new_source


def test_only_old_pending_sources_go_with_their_keys_and_folders(instance: Instance) -> None:
    with instance.sessions() as session:
        _, old = new_source(instance, session)
        _, active = new_source(instance, session)
        _, recent = new_source(instance, session)
        to = [require_open(session, instance.store, config=instance.config, incoming_bytes=0)]
        accept_message(session, instance.store, instance.gpg, source=active.source, text="hi",
                       recipients=to, today=TODAY)
        recent.source.created_on = TODAY + dt.timedelta(days=3)
        session.commit()
        old_key, old_folder = old.source.key_fingerprint, old.source.filesystem_id
        instance.store.staging_path(old_folder).write_bytes(b"left by a dropped upload")

        removed = purge_pending(session, instance.store, instance.gpg,
                                created_before=TODAY + dt.timedelta(days=1))

        assert removed == 1
        kept = set(session.scalars(select(Source.uuid)))
        assert kept == {active.source.uuid, recent.source.uuid}
    assert not instance.gpg.has_public_key(Fingerprint(old_key))
    assert not instance.gpg.has_secret_key(Fingerprint(old_key))
    assert not (instance.store.root / old_folder).exists()
    assert instance.gpg.has_secret_key(Fingerprint(active.source.key_fingerprint))


def test_nothing_to_purge_is_fine(instance: Instance) -> None:
    with instance.sessions() as session:
        assert purge_pending(session, instance.store, instance.gpg, created_before=TODAY) == 0


def test_cli_purges_and_refuses_a_bad_day_count(
    make_config: ConfigFactory, reader_keys: ReaderKeys
) -> None:
    env = make_config.env()
    run = [sys.executable, "-m", "sealdrop.cli"]
    full = {**os.environ, **env}
    subprocess.run([*run, "init", "--submission-key", "/dev/stdin"], input=reader_keys.public_key,
                   env=full, check=True, capture_output=True, text=True)
    done = subprocess.run([*run, "purge-pending"], env=full, capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0 and "removed 0 pending source(s)" in done.stdout
    bad = subprocess.run([*run, "purge-pending", "--older-than-days", "-1"], env=full,
                         capture_output=True, text=True, check=False)
    assert bad.returncode == 2 and "at least 1" in bad.stderr and "Traceback" not in bad.stderr
