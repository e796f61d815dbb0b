"""An instance: set-up that is safe to repeat, a keyring without secrets, and when it is open."""

from __future__ import annotations

import dataclasses
import os
import stat
from pathlib import Path

import pytest

from sealdrop.config import KdfCost, load_config
from sealdrop.crypto.gpg import Gpg
from sealdrop.db.models import InstanceSettings
from sealdrop.errors import ConfigError, KeyImportError, NotFound, SubmissionsClosed
from sealdrop.services.instance import (
    Instance,
    initialise,
    open_instance,
    public_metadata,
    require_open,
    submission_public_key,
)
from tests.harness import ConfigFactory, ReaderKeys
from tests.project import project_version


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_initialised_layout_is_private(instance: Instance) -> None:
    config = instance.config
    assert mode(config.data_dir) == 0o700
    assert mode(config.secrets_path) == 0o600
    assert mode(config.store_dir) == 0o700
    assert mode(config.gpg_home) == 0o700
    secrets = config.require_secrets()
    salts = (secrets.source_id_salt, secrets.reply_key_salt, secrets.source_session_key)
    assert len(set(salts)) == 3
    assert all(len(value) == 32 for value in salts)
    assert secrets.kdf == config.kdf == KdfCost(n=1024, r=8, p=1)  # the harness's cheap cost


def test_init_pins_the_kdf_cost(make_config: ConfigFactory) -> None:
    env = {key: value for key, value in make_config.env().items()
           if not key.startswith("SEALDROP_KDF_")}
    initialise(load_config({**env, "SEALDROP_KDF_N": "2048"}), submission_key=None)

    assert load_config(env).kdf == KdfCost(n=2048, r=8, p=1)  # no longer the default 16384
    with pytest.raises(ConfigError, match="would lock every source out"):
        load_config({**env, "SEALDROP_KDF_N": "4096"})


def test_server_keyring_holds_no_submission_secret(instance: Instance,
                                                   reader_keys: ReaderKeys) -> None:
    assert instance.gpg.has_public_key(reader_keys.fingerprint)
    assert not instance.gpg.has_secret_key(reader_keys.fingerprint)
    assert instance.gpg.secret_fingerprints() == set()


def test_initialise_again_keeps_secrets_and_key(instance: Instance, make_config: ConfigFactory,
                                                reader_keys: ReaderKeys) -> None:
    before = instance.config.require_secrets()

    assert initialise(instance.config, submission_key=None) == reader_keys.fingerprint

    assert make_config.reload(instance.config).require_secrets() == before


def test_private_key_is_refused(make_config: ConfigFactory, reader_keys: ReaderKeys) -> None:
    config = make_config()
    with pytest.raises(KeyImportError, match="private key"):
        initialise(config, submission_key=reader_keys.export_secret_key())
    keyring = Gpg(config.gpg_home)
    try:
        assert keyring.secret_fingerprints() == set()
        assert not keyring.has_public_key(reader_keys.fingerprint)
    finally:
        keyring.close()


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


def test_require_open_gives_the_submission_key(instance: Instance,
                                               reader_keys: ReaderKeys) -> None:
    with instance.sessions() as session:
        fingerprint = require_open(session, instance.store, config=instance.config,
                                   incoming_bytes=1000)
        assert fingerprint == reader_keys.fingerprint
        assert submission_public_key(session, instance.gpg)[0] == reader_keys.fingerprint


def test_closed_without_a_submission_key(instance: Instance) -> None:
    with instance.sessions() as session:
        settings = session.get(InstanceSettings, 1)
        assert settings is not None
        settings.submission_key_fingerprint = None
        session.commit()
        with pytest.raises(SubmissionsClosed, match="not ready"):
            require_open(session, instance.store, config=instance.config, incoming_bytes=0)
        with pytest.raises(NotFound):
            submission_public_key(session, instance.gpg)
        assert public_metadata(session, instance.config)["gpg_fpr"] is None


@pytest.mark.parametrize(("floor", "incoming"), [(2**62, 0), (0, 2**62)])
def test_closed_when_the_disk_would_fill(instance: Instance, floor: int, incoming: int) -> None:
    config = dataclasses.replace(instance.config, min_free_bytes=floor)
    with instance.sessions() as session, pytest.raises(SubmissionsClosed, match="right now"):
        require_open(session, instance.store, config=config, incoming_bytes=incoming)


def test_public_metadata_names_no_source(instance: Instance, reader_keys: ReaderKeys) -> None:
    with instance.sessions() as session:
        metadata = public_metadata(session, instance.config)
    assert metadata == {
        "instance_name": "Sealdrop", "sd_version": project_version(), "server_os": "debian",
        "gpg_fpr": reader_keys.fingerprint, "allow_document_uploads": True,
        "supported_languages": ["en", "fr"],
    }
