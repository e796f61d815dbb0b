"""Upgrading an instance whose keys lived in a keyring in the data directory (before 0003)."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select, text

from sealdrop.config import Config
from sealdrop.crypto import kdf
from sealdrop.db import migrate
from sealdrop.db.engine import make_engine
from sealdrop.db.models import ReaderKey, Source
from sealdrop.domain import codenames
from sealdrop.domain.codenames import Codename
from sealdrop.domain.keys import Passphrase
from sealdrop.errors import ConfigError
from sealdrop.runtime.initialise import _write_secrets, initialise
from sealdrop.runtime.instance import open_instance
from sealdrop.services.replies import replies_for_source
from sealdrop.services.sources import authenticate_source
from tests.harness import ConfigFactory, ReaderKeys

# What versions before 0003 wrote into the data directory's keyring.
OLD_AGENT_CONF = "default-cache-ttl 0\nmax-cache-ttl 10\nallow-loopback-pinentry\ns2k-count 65536\n"


def gpg(home: Path, *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        ["gpg", "--homedir", str(home), "--batch", "--pinentry-mode", "loopback", *args],
        input=stdin,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def old_source_key(home: Path, passphrase: str) -> str:
    """A source key made the way older versions made it, in the long-lived keyring."""
    gpg(
        home,
        "--gen-key",
        stdin=(
            "Key-Type: EDDSA\nKey-Curve: ed25519\nKey-Usage: sign\nSubkey-Type: ECDH\n"
            "Subkey-Curve: cv25519\nSubkey-Usage: encrypt\nName-Real: Sealdrop source key\n"
            f"Expire-Date: 0\nCreation-Date: 20130514T000000\nPassphrase: {passphrase}\n%commit\n"
        ),
    )
    listed = gpg(home, "--with-colons", "--list-secret-keys").splitlines()
    fingerprints = [line.split(":")[9] for line in listed if line.startswith("fpr:")]
    return fingerprints[-2]  # the primary key of the pair just made


def old_instance(
    make_config: ConfigFactory, reader_keys: ReaderKeys
) -> tuple[Config, Codename, str]:
    """A data directory at schema 0002 with its keyring: one source that submitted and got a
    reply, one pending source. Returns the config, the first's codename and its fingerprint."""
    config = make_config()
    config.data_dir.mkdir(mode=0o700, parents=True)
    _write_secrets(config.secrets_path, config.kdf)
    config = make_config.reload(config)
    home = config.legacy_gpg_home
    home.mkdir(mode=0o700)
    (home / "gpg-agent.conf").write_text(OLD_AGENT_CONF)
    gpg(home, "--import", stdin=reader_keys.public_key)
    secrets, codename = config.require_secrets(), codenames.generate()
    filesystem_id = kdf.filesystem_id(codename, salt=secrets.filesystem_id_salt, cost=config.kdf)
    passphrase = kdf.reply_key_passphrase(codename, salt=secrets.reply_key_salt, cost=config.kdf)
    kept, pending = old_source_key(home, passphrase), old_source_key(home, "x" * 43)
    folder = config.store_dir / filesystem_id
    folder.mkdir(mode=0o700, parents=True)
    gpg(
        home,
        "--trust-model",
        "always",
        "--encrypt",
        "-r",
        kept,
        "-r",
        reader_keys.fingerprint,
        "-o",
        str(folder / "2-amber-heron-reply.gpg"),
        stdin="an old reply",
    )
    engine = make_engine(config.database_url)
    migrate.upgrade(engine, "0002")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO instance_settings (id, submission_key_fingerprint,"
                " allow_document_uploads) VALUES (1, :fpr, :yes)"
            ),
            {"fpr": reader_keys.fingerprint, "yes": True},
        )
        for fsid, designation, fpr, is_pending in (
            (filesystem_id, "amber heron", kept, False),
            ("b" * 52, "brisk otter", pending, True),
        ):
            connection.execute(
                text(
                    "INSERT INTO sources (uuid, filesystem_id, journalist_designation,"
                    " key_fingerprint, interaction_count, pending, is_starred, created_on,"
                    " last_updated) VALUES"
                    " (:uuid, :fsid, :designation, :fpr, 2, :pending, :no, :day, :day)"
                ),
                {
                    "uuid": fsid[:36],
                    "fsid": fsid,
                    "designation": designation,
                    "fpr": fpr,
                    "pending": is_pending,
                    "no": False,
                    "day": dt.date(2024, 1, 2),
                },
            )
        connection.execute(
            text(
                "INSERT INTO replies (uuid, source_id, filename, size, interaction_count,"
                " deleted_by_source) SELECT :uuid, id, '2-amber-heron-reply.gpg', 10, 2, :no"
                " FROM sources WHERE filesystem_id = :fsid"
            ),
            {"uuid": "r" * 36, "no": False, "fsid": filesystem_id},
        )
    engine.dispose()
    return config, codename, kept


def test_init_moves_the_keys_into_rows_and_wipes_the_old_keyring(
    make_config: ConfigFactory, reader_keys: ReaderKeys
) -> None:
    config, codename, fingerprint = old_instance(make_config, reader_keys)
    engine = make_engine(config.database_url)
    migrate.upgrade(engine)  # the schema alone is not enough to serve
    engine.dispose()
    with pytest.raises(ConfigError, match=r"not in the database yet .*: run `sealdrop init`"):
        open_instance(config)
    old_files = [p for p in config.legacy_gpg_home.rglob("*") if p.is_file()]
    assert any(p.name == "pubring.kbx" for p in old_files)

    initialise(config, submission_key=None)

    assert not config.legacy_gpg_home.exists()
    inst = open_instance(config)
    try:
        with inst.sessions() as session:
            [source] = session.scalars(select(Source)).all()  # the pending one is gone
            [reader] = session.scalars(select(ReaderKey)).all()
            assert reader.public_key == reader_keys.public_key
            assert source.key_fingerprint == fingerprint and source.secret_key
            secrets = config.require_secrets()
            passphrase = Passphrase(
                kdf.reply_key_passphrase(codename, salt=secrets.reply_key_salt, cost=config.kdf)
            )
            [reply] = replies_for_source(
                session, inst.store, inst.gpg, source=source, passphrase=passphrase
            )
            assert reply.text == "an old reply"
    finally:
        inst.close()


def test_a_row_whose_key_is_missing_stops_the_move_and_wipes_nothing(
    make_config: ConfigFactory, reader_keys: ReaderKeys
) -> None:
    config, _, fingerprint = old_instance(make_config, reader_keys)
    gpg(config.legacy_gpg_home, "--yes", "--delete-secret-and-public-key", fingerprint)
    with pytest.raises(ConfigError, match="no key for source 'amber heron'"):
        initialise(config, submission_key=None)
    assert (config.legacy_gpg_home / "pubring.kbx").exists()


def test_a_moved_key_loses_its_creation_second_at_the_first_login(
    make_config: ConfigFactory, reader_keys: ReaderKeys
) -> None:
    config, codename, _ = old_instance(make_config, reader_keys)
    initialise(config, submission_key=None)
    inst = open_instance(config)
    try:
        with inst.sessions() as session:
            [source] = session.scalars(select(Source)).all()
            assert source.secret_key and b'protected-at "2013' not in source.secret_key
            before = source.secret_key

            login = authenticate_source(
                session, inst.gpg, config=config, throttle=inst.throttle, typed=codename
            )

        with inst.sessions() as session:
            [source] = session.scalars(select(Source)).all()
            assert source.secret_key != before
            assert source.secret_key is not None
            stamps = re.findall(rb'protected-at "([0-9T]+)"', source.secret_key)
            assert set(stamps) <= {b"20130514T000000"}, stamps
            [reply] = replies_for_source(
                session, inst.store, inst.gpg, source=source, passphrase=login.reply_passphrase
            )
            assert reply.text == "an old reply"
            again = authenticate_source(
                session, inst.gpg, config=config, throttle=inst.throttle, typed=codename
            )
            assert again.source.secret_key == source.secret_key  # done once only
    finally:
        inst.close()
