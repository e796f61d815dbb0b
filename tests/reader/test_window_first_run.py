"""The reader window's first run, offscreen: its assistant makes the Submission Key, or imports
one and says why when it cannot."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from reader.vault import Vault
from sealdrop.crypto.submission_key import SubmissionKeyring
from tests.reader.helpers import PASSPHRASE, KeyTemplate
from tests.reader.window_actions import (
    ScriptedAsker,
    application,
    close,
    open_window,
    screenshot,
)

# Each test runs gpg for real: making or importing a key takes seconds.
pytestmark = pytest.mark.slow


def exported_secret(template: KeyTemplate) -> bytes:
    """The template's private key, armored and still protected, as a newsroom would move it."""
    home = Path(tempfile.mkdtemp(prefix="rx-"))
    shutil.copytree(template.gnupg, home / "g", ignore=shutil.ignore_patterns("S.*"))
    try:
        return subprocess.run(
            ["gpg", "--homedir", str(home / "g"), "--batch", "--pinentry-mode", "loopback",
             "--passphrase", PASSPHRASE, "--armor", "--export-secret-keys", template.fingerprint],
            capture_output=True, check=True,
        ).stdout  # fmt: skip
    finally:
        subprocess.run(
            ["gpgconf", "--homedir", str(home / "g"), "--kill", "gpg-agent"], check=False
        )
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="module")
def qapp() -> QApplication:
    return application()


def test_first_run_assistant_makes_the_key(qapp: QApplication, tmp_path: Path) -> None:
    home = Path(tempfile.mkdtemp(prefix="rw-"))  # short: gpg-agent's socket lives in it
    keyring = SubmissionKeyring(home / "gnupg")
    out = tmp_path / "submission-key.asc"
    try:
        with Vault.open(tmp_path / "vault") as vault:
            window = open_window(vault, keyring, ScriptedAsker(), out)
            helper = window.assistant
            assert window.pages.currentWidget() is helper
            screenshot(window, tmp_path / "first-run.png")
            QTest.keyClicks(helper.new_passphrase, "too short")
            QTest.keyClicks(helper.repeat_passphrase, "too short")
            helper.make_button.click()
            assert helper.message.text() == "Choose a passphrase of at least 12 characters."
            helper.new_passphrase.setText("a long journalist passphrase")
            helper.repeat_passphrase.setText("a long journalist passphrasE")
            helper.make_button.click()
            assert helper.message.text() == "The two passphrases differ; type them again."
            assert keyring.secret_keys() == []
            helper.repeat_passphrase.setText("a long journalist passphrase")
            QTest.keyClick(helper.repeat_passphrase, Qt.Key.Key_Return)
            (key,) = keyring.secret_keys()
            assert window.pages.currentIndex() == 1
            assert window.status.text().startswith(f"Submission Key made: {key.fingerprint}.")
            assert "BEGIN PGP PUBLIC KEY BLOCK" in out.read_text()
            assert helper.new_passphrase.text() == ""  # the passphrase does not linger
            close(window)
    finally:
        keyring.forget()
        shutil.rmtree(home, ignore_errors=True)


def test_first_run_assistant_imports_a_key_or_says_why_not(
    qapp: QApplication, reader_key: KeyTemplate, tmp_path: Path
) -> None:
    home = Path(tempfile.mkdtemp(prefix="rw-"))
    keyring = SubmissionKeyring(home / "gnupg")
    secret = tmp_path / "secret.asc"
    secret.write_bytes(exported_secret(reader_key))
    garbage = tmp_path / "garbage.asc"
    garbage.write_bytes(b"not a key")
    asker = ScriptedAsker(key_files=[garbage, secret, secret])
    try:
        with Vault.open(tmp_path / "vault") as vault:
            window = open_window(vault, keyring, asker, tmp_path / "pub.asc")
            helper = window.assistant
            helper.import_passphrase.setText(PASSPHRASE)
            helper.import_button.click()
            assert (
                helper.message.text()
                == "No key was imported: That file holds no OpenPGP private key."
            )
            helper.import_passphrase.setText("the wrong passphrase")
            helper.import_button.click()
            assert helper.message.text().startswith("No key was imported: ")
            assert window.pages.currentWidget() is helper
            helper.import_passphrase.setText(PASSPHRASE)
            helper.import_button.click()
            assert window.status.text() == f"Submission Key imported: {reader_key.fingerprint}."
            assert window.pages.currentIndex() == 1
            close(window)
    finally:
        keyring.forget()
        shutil.rmtree(home, ignore_errors=True)
