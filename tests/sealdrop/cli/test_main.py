"""`sealdrop` in process and as a process: init and check, and one clear line for every failure."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from sealdrop.config import load_config
from sealdrop.db import migrate
from sealdrop.db.engine import make_engine
from sealdrop.runtime.instance import open_instance
from tests.cli_runner import Sealdrop, assert_one_clear_line
from tests.harness import TODAY, ConfigFactory, ReaderKeys, source_with_a_message


@pytest.fixture
def key_file(tmp_path: Path, reader_keys: ReaderKeys) -> Path:
    path = tmp_path / "submission.asc"
    path.write_text(reader_keys.public_key)
    return path


def test_init_with_a_public_key(
    sealdrop: Sealdrop, make_config: ConfigFactory, key_file: Path, reader_keys: ReaderKeys
) -> None:
    env = make_config.env()

    ran = sealdrop(env, "init", "--submission-key", str(key_file))

    assert ran.code == 0, ran.stderr
    assert f"Active reader keys: {reader_keys.fingerprint}" in ran.stdout
    assert (Path(env["SEALDROP_DATA_DIR"]) / "secrets.toml").exists()


def test_init_without_a_key(sealdrop: Sealdrop, make_config: ConfigFactory) -> None:
    ran = sealdrop(make_config.env(), "init")
    assert ran.code == 0, ran.stderr
    assert "Active reader keys: none yet" in ran.stdout


def test_init_refuses_a_private_key(
    sealdrop: Sealdrop, make_config: ConfigFactory, tmp_path: Path, reader_keys: ReaderKeys
) -> None:
    secret = tmp_path / "secret.asc"
    secret.write_text(reader_keys.export_secret_key())

    ran = sealdrop(make_config.env(), "init", "--submission-key", str(secret))

    assert_one_clear_line(ran, mentions="private key")


def test_init_with_a_missing_key_file(
    sealdrop: Sealdrop, make_config: ConfigFactory, tmp_path: Path
) -> None:
    ran = sealdrop(make_config.env(), "init", "--submission-key", str(tmp_path / "nope.asc"))
    assert_one_clear_line(ran, mentions="cannot read the key file")


def test_init_with_a_file_that_is_not_a_key(
    sealdrop: Sealdrop, make_config: ConfigFactory, tmp_path: Path
) -> None:
    (tmp_path / "note.txt").write_text("not a key")
    ran = sealdrop(make_config.env(), "init", "--submission-key", str(tmp_path / "note.txt"))
    assert_one_clear_line(ran, mentions="not an ASCII-armored OpenPGP key")


def test_bad_setting_is_one_line(sealdrop: Sealdrop, make_config: ConfigFactory) -> None:
    ran = sealdrop(make_config.env(extra={"SEALDROP_KDF_N": "1000"}), "init")
    assert_one_clear_line(ran, mentions="SEALDROP_KDF_N")


def test_check_before_init(sealdrop: Sealdrop, make_config: ConfigFactory) -> None:
    assert_one_clear_line(sealdrop(make_config.env(), "check"), mentions="sealdrop init")


def test_check_on_an_old_schema_is_one_line(sealdrop: Sealdrop, make_config: ConfigFactory) -> None:
    env = make_config.env()
    assert sealdrop(env, "init").code == 0
    engine = make_engine(load_config(env).database_url)
    try:
        migrate.downgrade(engine, "0001")
    finally:
        engine.dispose()

    assert_one_clear_line(sealdrop(env, "check"), mentions="schema is not current")


def test_check_finds_a_deleted_file(
    sealdrop: Sealdrop, make_config: ConfigFactory, key_file: Path, reader_keys: ReaderKeys
) -> None:
    env = make_config.env()
    assert sealdrop(env, "init", "--submission-key", str(key_file)).code == 0
    fresh = sealdrop(env, "check")
    key_line, verdict = fresh.stdout.splitlines()
    assert (fresh.code, verdict) == (0, "database and store agree")
    assert key_line.startswith(f"reader key {reader_keys.fingerprint}  active since ")

    instance = open_instance(load_config(env))
    try:
        with instance.sessions() as session:
            login, record = source_with_a_message(
                instance, session, "hello", recipients=[reader_keys.key]
            )
            stored = instance.store.path_of(login.source.filesystem_id, record.filename)
    finally:
        instance.close()
    assert sealdrop(env, "check").code == 0
    stored.unlink()

    ran = sealdrop(env, "check")

    assert ran.code == 1
    assert f"missing file: {login.source.filesystem_id}/{record.filename}" in ran.stdout
    assert "1 problem(s) found" in ran.stdout


def test_serve_refuses_while_an_old_keyring_is_there(
    sealdrop: Sealdrop, make_config: ConfigFactory, key_file: Path
) -> None:
    env = make_config.env()
    assert sealdrop(env, "init", "--submission-key", str(key_file)).code == 0
    old = Path(env["SEALDROP_DATA_DIR"]) / "gpg"
    old.mkdir(mode=0o700)

    assert_one_clear_line(sealdrop(env, "serve", "source"), mentions="run `sealdrop init`")
    assert sealdrop(env, "init").code == 0
    assert not old.exists()


def test_restamp_leaves_days_only(
    sealdrop: Sealdrop, make_config: ConfigFactory, key_file: Path, reader_keys: ReaderKeys
) -> None:
    env = make_config.env()
    assert sealdrop(env, "init", "--submission-key", str(key_file)).code == 0
    config = load_config(env)
    instance = open_instance(config)
    try:
        with instance.sessions() as session:
            login, _ = source_with_a_message(instance, session, "m", recipients=[reader_keys.key])
    finally:
        instance.close()
    folder = config.store_dir / login.source.filesystem_id
    os.utime(folder, (1_700_000_123, 1_700_000_123))

    ran = sealdrop(env, "restamp")

    assert ran.code == 0, ran.stderr
    assert "show days only" in ran.stdout
    day = dt.datetime.combine(TODAY, dt.time(), tzinfo=dt.UTC).timestamp()
    folder_times = folder.stat()  # before listing it, which moves its atime
    assert folder_times.st_mtime == folder_times.st_atime == day
    for path in folder.iterdir():
        assert path.stat().st_mtime == path.stat().st_atime == day
