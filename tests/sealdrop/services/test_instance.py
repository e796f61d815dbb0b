"""An instance: set-up that is safe to repeat, no keyring at all, and when it is open."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from sealdrop.config import KdfCost, load_config
from sealdrop.db.models import ReaderKey
from sealdrop.errors import (
    ConfigError,
    KeyImportError,
    NotFound,
    SubmissionsClosed,
    UploadTooLarge,
)
from sealdrop.runtime.initialise import initialise
from sealdrop.runtime.instance import Instance, open_instance
from sealdrop.runtime.startup import prepare_serving
from sealdrop.services.intake import public_keys, require_open
from sealdrop.services.metadata import public_metadata
from tests.harness import ConfigFactory, ReaderKeys
from tests.project import project_version


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_initialised_layout_is_private(instance: Instance) -> None:
    config = instance.config
    assert mode(config.data_dir) == 0o700
    assert mode(config.secrets_path) == 0o600
    assert mode(config.store_dir) == 0o700
    database = config.database_path
    # No GnuPG home, no journal left over; the device spool holds public keys only.
    expected = {"secrets.toml", "store", "onion-clients"}
    assert mode(config.device_spool) == 0o750
    if database is not None:
        assert mode(database) == 0o600
        expected.add(database.name)
    assert {p.name for p in config.data_dir.iterdir()} == expected
    secrets = config.require_secrets()
    salts = (secrets.filesystem_id_salt, secrets.reply_key_salt, secrets.source_session_key)
    assert len(set(salts)) == 3
    assert all(len(value) == 32 for value in salts)
    assert secrets.kdf == config.kdf == KdfCost(n=1024, r=8, p=1)  # the harness's cheap cost


def test_init_pins_the_kdf_cost(make_config: ConfigFactory) -> None:
    env = {
        key: value
        for key, value in make_config.env().items()
        if not key.startswith("SEALDROP_KDF_")
    }
    initialise(load_config({**env, "SEALDROP_KDF_N": "2048"}), submission_key=None)

    assert load_config(env).kdf == KdfCost(n=2048, r=8, p=1)  # no longer the default 16384
    with pytest.raises(ConfigError, match="would lock every source out"):
        load_config({**env, "SEALDROP_KDF_N": "4096"})


def test_the_database_holds_only_the_public_submission_key(
    instance: Instance, reader_keys: ReaderKeys
) -> None:
    with instance.sessions() as session:
        [key] = session.scalars(select(ReaderKey)).all()
        assert key.public_key == reader_keys.public_key
        assert key.fingerprint == reader_keys.fingerprint
        assert (key.state, key.retired_on) == ("active", None)
        assert key.added_on == dt.datetime.now(dt.UTC).date()  # a day, nothing finer


def test_initialise_again_keeps_secrets_and_key(
    instance: Instance, make_config: ConfigFactory, reader_keys: ReaderKeys
) -> None:
    before = instance.config.require_secrets()

    assert initialise(instance.config, submission_key=None) == [reader_keys.fingerprint]
    again = initialise(instance.config, submission_key=reader_keys.public_key)
    assert again == [reader_keys.fingerprint]

    assert make_config.reload(instance.config).require_secrets() == before


def test_private_key_is_refused(make_config: ConfigFactory, reader_keys: ReaderKeys) -> None:
    config = make_config()
    with pytest.raises(KeyImportError, match="private key"):
        initialise(config, submission_key=reader_keys.export_secret_key())
    initialise(config, submission_key=None)
    with open_instance(make_config.reload(config)).sessions() as session:
        assert session.scalars(select(ReaderKey)).all() == []


def test_open_before_init_is_a_clear_error(make_config: ConfigFactory) -> None:
    with pytest.raises(ConfigError, match="sealdrop init"):
        open_instance(make_config())


def test_open_removes_stale_staging(make_config: ConfigFactory, reader_keys: ReaderKeys) -> None:
    config = make_config()
    initialise(config, submission_key=reader_keys.public_key)
    stale = config.store_dir / ("a" * 52) / ".dead.part"
    stale.parent.mkdir(mode=0o700)
    stale.write_bytes(b"x")
    os.utime(stale, (1_000_000_000, 1_000_000_000))
    opened = open_instance(make_config.reload(config))
    opened.close()
    assert not stale.exists()


def test_require_open_gives_the_reader_keys(instance: Instance, reader_keys: ReaderKeys) -> None:
    with instance.sessions() as session:
        [key] = require_open(
            session, instance.store, instance.gpg, config=instance.config, incoming_bytes=1000
        )
        assert key.fingerprint == reader_keys.fingerprint
        assert public_keys(session, instance.gpg) == [key]


def test_closed_without_a_submission_key(instance: Instance) -> None:
    with instance.sessions() as session:
        session.execute(delete(ReaderKey))
        session.commit()
        with pytest.raises(SubmissionsClosed, match="not ready"):
            require_open(
                session, instance.store, instance.gpg, config=instance.config, incoming_bytes=0
            )
        with pytest.raises(NotFound):
            public_keys(session, instance.gpg)
        assert public_metadata(session, instance.config, instance.gpg)["gpg_fpr"] is None


def test_closed_when_the_disk_would_fill(instance: Instance) -> None:
    config = dataclasses.replace(instance.config, min_free_bytes=2**62)
    with instance.sessions() as session, pytest.raises(SubmissionsClosed, match="right now"):
        require_open(session, instance.store, instance.gpg, config=config, incoming_bytes=0)


def test_too_large_is_413_before_any_503(instance: Instance) -> None:
    """A huge announced body is refused as too large, not as "paused", even on a full disk."""
    config = dataclasses.replace(instance.config, min_free_bytes=2**62)
    with instance.sessions() as session:
        session.execute(delete(ReaderKey))
        with pytest.raises(UploadTooLarge) as refused:
            require_open(session, instance.store, instance.gpg, config=config, incoming_bytes=2**62)
    assert refused.value.http_status == 413


def test_an_expired_submission_key_pauses_submissions(
    make_config: ConfigFactory, expiring_key: str
) -> None:
    """A key valid at init but expired now: 503 with a generic message, and serve refuses."""
    config = make_config()
    initialise(config, submission_key=expiring_key)
    config = make_config.reload(config)
    inst = open_instance(config)
    inst.gpg._clock = lambda: 4_000_000_000.0  # a later day: the key has expired by then
    try:
        with inst.sessions() as session, pytest.raises(SubmissionsClosed) as paused:
            require_open(session, inst.store, inst.gpg, config=config, incoming_bytes=0)
    finally:
        inst.close()
    assert str(paused.value) == (
        "This instance cannot take submissions right now. Please try again later."
    )
    assert paused.value.reason is not None and "expired" in paused.value.reason


def test_serve_refuses_a_submission_key_that_expires_today(
    make_config: ConfigFactory, expiring_key: str
) -> None:
    config = make_config()
    initialise(
        config, submission_key=expiring_key
    )  # expires before the day ends, when keys are checked
    with pytest.raises(ConfigError, match=r"No reader key can be used \(\w+: That key has expired"):
        prepare_serving(make_config.reload(config))


def test_public_metadata_names_no_source(instance: Instance, reader_keys: ReaderKeys) -> None:
    with instance.sessions() as session:
        metadata = public_metadata(session, instance.config, instance.gpg)
    assert metadata == {
        "instance_name": "Sealdrop",
        "sd_version": project_version(),
        "server_os": "debian",
        "gpg_fpr": reader_keys.fingerprint,
        "reader_key_fprs": [reader_keys.fingerprint],
        "allow_document_uploads": True,
        "supported_languages": ["en", "fr"],
    }
