"""The GnuPG wrapper: throwaway homes, streaming encryption, source keys and their dates."""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import stat
import subprocess
from pathlib import Path

import pytest

from sealdrop.crypto.gpg import Gpg, literal_date
from sealdrop.crypto.scratch import require_ram
from sealdrop.crypto.source_keys import SourceKey, new_encryption_key_file
from sealdrop.domain.keys import Fingerprint, Passphrase, PublicKey
from sealdrop.errors import ConfigError, EncryptionFailed, KeyGenerationFailed
from tests.harness import ReaderKeys

CHUNK = 64 * 1024
UNKNOWN = PublicKey(Fingerprint("0123456789ABCDEF0123456789ABCDEF01234567"), "not a key")
PASSPHRASE = Passphrase("correct horse battery staple, derived by scrypt")
SOURCE_KEY_EPOCH = int(dt.datetime(2013, 5, 14, tzinfo=dt.UTC).timestamp())


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_scratch_must_be_in_ram(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not in RAM"):
        require_ram(tmp_path if not str(tmp_path).startswith("/dev/shm") else Path("/"))
    with pytest.raises(ConfigError, match="not a directory"):
        require_ram(tmp_path / "missing")


def test_operations_leave_nothing_in_scratch(
    server_gpg: Gpg, reader_keys: ReaderKeys, tmp_path: Path
) -> None:
    key = server_gpg.generate_source_key(PASSPHRASE)
    submission = server_gpg.inspect_public_key(reader_keys.public_key)
    server_gpg.encrypt_bytes(b"reply", [key.public, submission], tmp_path / "r.gpg")
    assert server_gpg.decrypt_with_key([tmp_path / "r.gpg"], key, PASSPHRASE) == [b"reply"]

    assert list(server_gpg.scratch.iterdir()) == []
    agents = subprocess.run(
        ["pgrep", "-af", f"gpg-agent.*{server_gpg.scratch}"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    assert agents == ""


def test_gnupg_logger_is_silenced(server_gpg: Gpg) -> None:
    assert logging.getLogger("gnupg").disabled


def test_stream_decrypts_on_the_reader(
    server_gpg: Gpg, reader_keys: ReaderKeys, tmp_path: Path
) -> None:
    fingerprint = server_gpg.inspect_public_key(reader_keys.public_key)
    data = os.urandom(5 * 1024 * 1024 + 123)
    output = tmp_path / "out.gpg"

    encryptor = server_gpg.open_encryptor([fingerprint], output)
    assert mode(output) == 0o600  # private from its first byte
    for offset in range(0, len(data), CHUNK):
        encryptor.write(data[offset : offset + CHUNK])
    encryptor.finish()

    assert mode(output) == 0o600
    assert data[:4096] not in output.read_bytes()
    assert reader_keys.decrypt(output) == data


def test_abort_stops_gpg_and_leaves_the_output_to_wipe(
    server_gpg: Gpg, reader_keys: ReaderKeys, tmp_path: Path
) -> None:
    fingerprint = server_gpg.inspect_public_key(reader_keys.public_key)
    output = tmp_path / "out.gpg"
    encryptor = server_gpg.open_encryptor([fingerprint], output)
    encryptor.write(os.urandom(3 * CHUNK))

    encryptor.abort()

    # A plain unlink would leave the ciphertext's blocks behind: the store wipes it instead.
    assert output.exists()
    assert mode(output) == 0o600
    with pytest.raises(ValueError, match="already closed"):
        encryptor.write(b"more")


def test_open_encryptor_never_reuses_a_path(server_gpg: Gpg, tmp_path: Path) -> None:
    (tmp_path / "taken.gpg").write_bytes(b"stored earlier")
    with pytest.raises(FileExistsError):
        server_gpg.open_encryptor([UNKNOWN], tmp_path / "taken.gpg")
    assert (tmp_path / "taken.gpg").read_bytes() == b"stored earlier"


def test_unreadable_recipient_fails_at_once(server_gpg: Gpg, tmp_path: Path) -> None:
    output = tmp_path / "out.gpg"
    with pytest.raises(EncryptionFailed):
        server_gpg.open_encryptor([UNKNOWN], output)
    # The empty output is removed, and so is the throwaway home.
    assert not output.exists()
    assert list(server_gpg.scratch.iterdir()) == []


def test_source_key_round_trip(server_gpg: Gpg, tmp_path: Path) -> None:
    key = server_gpg.generate_source_key(PASSPHRASE)
    output = tmp_path / "reply.gpg"

    server_gpg.encrypt_bytes("Merci, reçu.".encode(), [key.public], output)

    assert "BEGIN PGP PUBLIC KEY BLOCK" in key.public.armored
    assert b"protected-private-key" in key.secret  # gpg-agent's file, still under the passphrase
    assert PASSPHRASE.encode() not in key.secret
    assert server_gpg.decrypt_with_key([output], key, PASSPHRASE) == ["Merci, reçu.".encode()]


def test_wrong_passphrase_fails_even_right_after_a_good_one(
    server_gpg: Gpg, tmp_path: Path
) -> None:
    key = server_gpg.generate_source_key(PASSPHRASE)
    output = tmp_path / "reply.gpg"
    server_gpg.encrypt_bytes(b"secret reply", [key.public], output)
    assert server_gpg.decrypt_with_key([output], key, Passphrase("wrong")) == [None]

    # If gpg-agent had cached the passphrase, the wrong one after it would succeed.
    assert server_gpg.decrypt_with_key([output], key, PASSPHRASE) == [b"secret reply"]
    assert server_gpg.decrypt_with_key([output, output], key, Passphrase("wrong")) == [None, None]
    assert server_gpg.decrypt_with_key([output], key, Passphrase("")) == [None]


def test_decryption_failures_are_opaque(server_gpg: Gpg, tmp_path: Path) -> None:
    key = server_gpg.generate_source_key(PASSPHRASE)
    (tmp_path / "junk.gpg").write_bytes(os.urandom(500))
    assert server_gpg.decrypt_with_key(
        [tmp_path / "junk.gpg", tmp_path / "missing.gpg"], key, PASSPHRASE
    ) == [None, None]
    broken = SourceKey(key.public, b"not a key file")
    server_gpg.encrypt_bytes(b"x", [key.public], tmp_path / "x.gpg")
    assert server_gpg.decrypt_with_key([tmp_path / "x.gpg"], broken, PASSPHRASE) == [None]


def test_passphrase_must_be_one_line(server_gpg: Gpg) -> None:
    with pytest.raises(ValueError, match="one line"):
        server_gpg.generate_source_key(Passphrase("one\nPassphrase: injected"))


def test_source_keys_all_carry_the_same_fixed_date(server_gpg: Gpg, tmp_path: Path) -> None:
    """Key, subkey, self-signatures and the agent's protection say 2013-05-14: nothing dates
    the source."""
    key = server_gpg.generate_source_key(PASSPHRASE)
    (tmp_path / "key.asc").write_text(key.public.armored)
    listed = subprocess.run(
        [
            "gpg",
            "--homedir",
            str(tmp_path),
            "--batch",
            "--with-colons",
            "--import-options",
            "show-only",
            "--import",
            str(tmp_path / "key.asc"),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    packets = subprocess.run(
        ["gpg", "--homedir", str(tmp_path), "--list-packets", str(tmp_path / "key.asc")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    dated = [line.split(":") for line in listed if line.split(":")[0] in {"pub", "sub"}]
    assert [fields[0] for fields in dated] == ["pub", "sub"]
    assert {fields[5] for fields in dated} == {str(SOURCE_KEY_EPOCH)}
    stamps = {int(n) for n in re.findall(r"(?:created|timestamp:?) (\d{6,})", packets)}
    assert stamps == {SOURCE_KEY_EPOCH}
    # The agent's faked clock runs from the fixed midnight: a busy machine may add a second.
    [protected_at] = re.findall(rb'protected-at "([0-9T]+)"', key.secret)
    assert protected_at.startswith(b"20130514T0000"), protected_at


def test_literal_packets_carry_the_day_only(
    server_gpg: Gpg, reader_keys: ReaderKeys, tmp_path: Path
) -> None:
    submission = server_gpg.inspect_public_key(reader_keys.public_key)
    output = tmp_path / "msg.gpg"
    server_gpg.encrypt_bytes(b"dated?", [submission], output)
    packets = subprocess.run(
        ["gpg", "--homedir", str(reader_keys.gpg.home), "--batch", "--list-packets", str(output)],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    [created] = re.findall(r"literal data packet:\n\s+mode b \(62\), created (\d+)", packets)
    moment = dt.datetime.fromtimestamp(int(created), dt.UTC)
    assert moment.date() == dt.datetime.now(dt.UTC).date()
    assert (moment.hour, moment.minute, moment.second) == (23, 59, 59)


def test_literal_date_is_the_last_second_of_the_day() -> None:
    noon = dt.datetime(2024, 5, 1, 12, 34, 56, tzinfo=dt.UTC).timestamp()
    assert literal_date(noon) == "20240501T235959!"


def test_gpg_is_asked_its_version_once_per_binary(tmp_path: Path, reader_keys: ReaderKeys) -> None:
    """A wrapper that logs each call to the real gpg: a second Gpg asks no version again
    (python-gnupg asks with --list-config), and each still encrypts through that binary."""
    calls = tmp_path / "calls"
    wrapper = tmp_path / "gpg-logged"
    real = subprocess.run(["which", "gpg"], capture_output=True, text=True, check=True).stdout
    wrapper.write_text(f'#!/bin/sh\necho "$@" >> {calls}\nexec {real.strip()} "$@"\n')
    wrapper.chmod(0o700)
    scratch = require_ram(Path("/dev/shm"))

    first = Gpg(scratch, binary=str(wrapper))
    second = Gpg(scratch, binary=str(wrapper))
    versions = [line for line in calls.read_text().splitlines() if "--list-config" in line]
    assert len(versions) == 1
    for number, gpg in enumerate((first, second)):
        output = tmp_path / f"{number}.gpg"
        gpg.encrypt_bytes(b"hello", [reader_keys.key], output)
        assert reader_keys.decrypt(output) == b"hello"
    assert sum("--encrypt" in line for line in calls.read_text().splitlines()) == 2


def test_a_new_key_without_its_agent_files_is_refused(tmp_path: Path) -> None:
    (tmp_path / "private-keys-v1.d").mkdir()
    (tmp_path / "private-keys-v1.d" / "A.key").write_bytes(b"(curve Ed25519)")
    with pytest.raises(KeyGenerationFailed):
        new_encryption_key_file(tmp_path)  # the subkey's file is missing
    (tmp_path / "private-keys-v1.d" / "B.key").write_bytes(b"(curve Ed25519)")
    with pytest.raises(KeyGenerationFailed):
        new_encryption_key_file(tmp_path)  # two files, neither for encryption
    (tmp_path / "private-keys-v1.d" / "B.key").write_bytes(b"(curve Curve25519)")
    assert new_encryption_key_file(tmp_path) == b"(curve Curve25519)"
