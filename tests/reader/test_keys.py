"""The Submission Key on the reader: the server accepts what keygen exports; import-key checks."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from sealdrop.crypto.gpg import Gpg
from sealdrop.crypto.submission_key import Algorithm, KeyPassphrase, SubmissionKeyring
from sealdrop.errors import KeyImportError, KeyPassphraseWrong, NoSubmissionKey
from tests.reader.helpers import FAST_S2K, PASSPHRASE, KeyTemplate, ReaderMachine


@pytest.fixture
def empty_keyring() -> Iterator[SubmissionKeyring]:
    home = Path(tempfile.mkdtemp(prefix="re-"))
    keyring = SubmissionKeyring(home / "gnupg", s2k_count=FAST_S2K)
    try:
        yield keyring
    finally:
        keyring.forget()
        shutil.rmtree(home, ignore_errors=True)


def exported_secret(machine: ReaderMachine) -> bytes:
    return subprocess.run(
        ["gpg", "--homedir", str(machine.keyring.home), "--batch", "--pinentry-mode", "loopback",
         "--passphrase-fd", "0", "--armor", "--export-secret-keys"],
        input=PASSPHRASE.encode() + b"\n", capture_output=True, check=True,
    ).stdout  # fmt: skip


def test_the_server_accepts_the_exported_public_key(reader_key: KeyTemplate) -> None:
    scratch = Path(tempfile.mkdtemp(prefix="rg-"))
    try:
        key = Gpg(scratch).inspect_public_key(reader_key.public)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    assert key.fingerprint == reader_key.fingerprint
    assert "PRIVATE" not in reader_key.public


def test_the_home_is_private_and_the_key_protected(reader: ReaderMachine) -> None:
    assert reader.keyring.home.stat().st_mode & 0o777 == 0o700
    reader.keyring.forget()
    with pytest.raises(KeyPassphraseWrong, match="wrong"):
        reader.keyring.check_passphrase(KeyPassphrase("guess"))
    reader.keyring.forget()
    reader.keyring.check_passphrase(PASSPHRASE)


def test_import_key_checks_the_passphrase_first(
    reader: ReaderMachine, empty_keyring: SubmissionKeyring
) -> None:
    secret = exported_secret(reader)
    with pytest.raises(KeyPassphraseWrong):
        empty_keyring.import_secret(secret, KeyPassphrase("not it"))
    assert empty_keyring.secret_keys() == []
    assert empty_keyring.import_secret(secret, PASSPHRASE) == [reader.fingerprint]
    assert [k.fingerprint for k in empty_keyring.secret_keys()] == [reader.fingerprint]
    empty_keyring.forget()
    empty_keyring.check_passphrase(PASSPHRASE)


def test_import_key_refuses_public_and_weak_keys(
    reader_key: KeyTemplate, empty_keyring: SubmissionKeyring
) -> None:
    with pytest.raises(KeyImportError, match="no OpenPGP private key"):
        empty_keyring.import_secret(reader_key.public.encode(), PASSPHRASE)
    home = Path(tempfile.mkdtemp(prefix="rw-"))
    try:
        gpg = ["gpg", "--homedir", str(home), "--batch", "--pinentry-mode", "loopback"]
        make = [*gpg, "--passphrase", "", "--quick-gen-key", "Weak <w@example.org>", "nistp256"]
        subprocess.run([*make, "default", "never"], check=True, capture_output=True)
        weak = subprocess.run([*gpg, "--passphrase", "", "--export-secret-keys"],
                              check=True, capture_output=True).stdout  # fmt: skip
    finally:
        subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "gpg-agent"], check=False)
        shutil.rmtree(home, ignore_errors=True)
    with pytest.raises(KeyImportError, match="too weak"):
        empty_keyring.import_secret(weak, PASSPHRASE)
    assert empty_keyring.secret_keys() == []


def test_no_key_and_bad_passphrases_are_one_line(empty_keyring: SubmissionKeyring) -> None:
    with pytest.raises(NoSubmissionKey, match="keygen"):
        empty_keyring.check_passphrase(PASSPHRASE)
    with pytest.raises(KeyPassphraseWrong, match="one line"):
        empty_keyring.generate(KeyPassphrase("two\nlines"))
    with pytest.raises(KeyPassphraseWrong, match="empty"):
        empty_keyring.generate(KeyPassphrase(""))


@pytest.mark.slow
def test_an_rsa_4096_key_is_accepted_by_the_server(empty_keyring: SubmissionKeyring) -> None:
    fingerprint = empty_keyring.generate(PASSPHRASE, algorithm=Algorithm.RSA4096)
    scratch = Path(tempfile.mkdtemp(prefix="rg-"))
    try:
        key = Gpg(scratch).inspect_public_key(empty_keyring.export_public(fingerprint))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    assert key.fingerprint == fingerprint
