"""What `sealdrop serve` and `sealdrop restamp` do before any worker runs."""

from __future__ import annotations

import datetime as dt

from sealdrop.config import Config
from sealdrop.crypto.scratch import sweep_stale_homes
from sealdrop.errors import ConfigError, SubmissionsClosed
from sealdrop.runtime.instance import open_instance
from sealdrop.services import reader_keys, restamp
from sealdrop.services.intake import usable_reader_keys

# A gpg operation lasts seconds: a throwaway home an hour old belongs to a process that died.
STALE_SCRATCH_SECONDS = 3600


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


def prepare_serving(config: Config) -> list[str]:
    """What `sealdrop serve` checks and does before it starts workers; one clear error if not,
    else the warnings to show the operator.

    Reader keys that exist but none of which can be used (expired, revoked) stop the start:
    sources would otherwise upload whole files only to be refused at the end. An active key
    left out while others remain is a warning, and serving goes on.
    """
    inst = open_instance(config)
    sweep_stale_homes(config.gpg_scratch_dir, older_than_seconds=STALE_SCRATCH_SECONDS)
    try:
        with inst.sessions() as session:
            usable_reader_keys(session, inst.gpg)
            dropped = reader_keys.encryption_keys(session, inst.gpg).dropped
    except SubmissionsClosed as exc:
        how = "add a valid one with `sealdrop keys add FILE`"
        raise ConfigError(f"No reader key can be used ({exc.reason}): {how}.") from None
    finally:
        inst.close()
    restamp_instance(config)
    return [
        f"reader key {key.fingerprint} is not encrypted to ({key.reason}); "
        f"retire it with `sealdrop keys retire {key.fingerprint}`"
        for key in dropped
    ]
