"""First run: make the Submission Key pair, or import an existing private key."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from reader.cli import MIN_NEW_PASSPHRASE
from reader.names import shown
from reader.window.asking import Asker
from sealdrop.crypto.submission_key import KeyPassphrase, SubmissionKeyring
from sealdrop.errors import SealdropError


def _secret_field(name: str) -> QLineEdit:
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setAccessibleName(name)
    return field


class KeyAssistant(QWidget):
    """Shown instead of the vault while the reader holds no Submission Key."""

    def __init__(
        self,
        keyring: SubmissionKeyring,
        asker: Asker,
        public_key_out: Path,
        done: Callable[[str], None],
    ) -> None:
        super().__init__()
        self._keyring, self._asker, self._out, self._done = keyring, asker, public_key_out, done
        layout = QVBoxLayout(self)
        welcome = QLabel(
            "This reader holds no Submission Key yet. Make a new key pair here (its public half "
            "goes to the server's set-up), or import the private key this newsroom already uses."
        )
        welcome.setWordWrap(True)
        layout.addWidget(welcome)
        layout.addWidget(self._new_key_box())
        layout.addWidget(self._import_box())
        self.message = QLabel("")
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setWordWrap(True)
        self.message.setAccessibleName("Assistant message")
        layout.addWidget(self.message)
        layout.addStretch()

    def _new_key_box(self) -> QGroupBox:
        box = QGroupBox("Make a new Submission Key")
        form = QFormLayout(box)
        self.new_passphrase = _secret_field("New key passphrase")
        self.repeat_passphrase = _secret_field("The passphrase again")
        form.addRow(f"&Passphrase ({MIN_NEW_PASSPHRASE} characters or more):", self.new_passphrase)
        form.addRow("&Again:", self.repeat_passphrase)
        self.make_button = QPushButton("&Make the key")
        self.make_button.clicked.connect(self.make_key)
        self.repeat_passphrase.returnPressed.connect(self.make_key)
        form.addRow(self.make_button)
        return box

    def _import_box(self) -> QGroupBox:
        box = QGroupBox("Or import an existing private key")
        form = QFormLayout(box)
        self.import_passphrase = _secret_field("The key's passphrase")
        form.addRow("The &key's passphrase:", self.import_passphrase)
        self.import_button = QPushButton("&Import a private key…")
        self.import_button.clicked.connect(self.import_key)
        form.addRow(self.import_button)
        return box

    def _say(self, text: str) -> None:
        self.message.setText(text)

    def make_key(self) -> None:
        passphrase = self.new_passphrase.text()
        if passphrase != self.repeat_passphrase.text():
            self._say("The two passphrases differ; type them again.")
            return
        if len(passphrase) < MIN_NEW_PASSPHRASE:
            self._say(f"Choose a passphrase of at least {MIN_NEW_PASSPHRASE} characters.")
            return
        self._say("Making the key pair…")
        try:
            fingerprint = self._keyring.generate(KeyPassphrase(passphrase))
            self._out.write_text(self._keyring.export_public(fingerprint), encoding="ascii")
        except (SealdropError, OSError) as error:
            self._say(f"No key was made: {error}")
            return
        finally:
            self._keyring.forget()
            self.new_passphrase.clear()
            self.repeat_passphrase.clear()
        self._done(
            f"Submission Key made: {fingerprint}. Its public key is in {shown(str(self._out))}: "
            "give it to the server's set-up."
        )

    def import_key(self) -> None:
        path = self._asker.key_file()
        if path is None:
            return
        try:
            data = path.read_bytes()
            fingerprints = self._keyring.import_secret(
                data, KeyPassphrase(self.import_passphrase.text())
            )
        except (SealdropError, OSError) as error:
            self._say(f"No key was imported: {error}")
            return
        finally:
            self._keyring.forget()
            self.import_passphrase.clear()
        self._done(f"Submission Key imported: {', '.join(fingerprints)}.")
