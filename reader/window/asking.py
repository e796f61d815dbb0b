"""What the window asks the journalist: files, folders, passphrases, confirmations.

The window calls an Asker and never opens a dialog itself, so tests drive the real window with
a scripted journalist (tests/reader/window_actions.py) and the program with Qt's own dialogs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from PySide6.QtWidgets import QFileDialog, QInputDialog, QLineEdit, QMessageBox, QWidget


class Asker(Protocol):
    """Each question returns None (or False) when the journalist cancels."""

    def bundle(self) -> Path | None:
        """What to import: a bundle, a zip or a single .gpg file."""

    def export_folder(self) -> Path | None:
        """Where exports go, e.g. the export drive."""

    def key_file(self) -> Path | None:
        """A private key file to import."""

    def passphrase(self, prompt: str) -> str | None:
        """The Submission Key's passphrase."""

    def confirm(self, question: str) -> bool:
        """Yes or no to something with consequences (exporting an original)."""


class DialogAsker:
    """The journalist answers in Qt's standard dialogs, over `parent`."""

    def __init__(self, parent: QWidget) -> None:
        self._parent = parent
        self._folder: Path | None = None

    def bundle(self) -> Path | None:
        chosen, _ = QFileDialog.getOpenFileName(
            self._parent, "Import submissions", "", "Bundles and submissions (*.zip *.gpg);;All (*)"
        )
        return Path(chosen) if chosen else None

    def export_folder(self) -> Path | None:
        start = str(self._folder) if self._folder else ""
        chosen = QFileDialog.getExistingDirectory(self._parent, "Export to which folder?", start)
        if chosen:
            self._folder = Path(chosen)
        return Path(chosen) if chosen else None

    def key_file(self) -> Path | None:
        chosen, _ = QFileDialog.getOpenFileName(self._parent, "The private key to import")
        return Path(chosen) if chosen else None

    def passphrase(self, prompt: str) -> str | None:
        text, given = QInputDialog.getText(
            self._parent, "Submission Key", prompt, QLineEdit.EchoMode.Password
        )
        return text if given else None

    def confirm(self, question: str) -> bool:
        answer = QMessageBox.question(self._parent, "Sealdrop reader", question)
        return answer == QMessageBox.StandardButton.Yes
