"""Driving the real reader window in tests: opening and closing it, a scripted journalist,
waiting, screenshots."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

from reader.airgap import NetworkFinding
from reader.vault import Vault
from reader.window.main import ReaderWindow
from sealdrop.crypto.submission_key import SubmissionKeyring


def application() -> QApplication:
    """The process's one QApplication, drawing offscreen: no display is needed or used."""
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    return QApplication(["sealdrop-reader-tests"])


def wait_until(condition: Callable[[], bool], *, seconds: float = 60.0) -> None:
    """Let Qt deliver events (finished metadata reports) until `condition` holds."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the window did not get there in time")
        QApplication.processEvents()
        time.sleep(0.01)


def screenshot(widget: QWidget, path: Path) -> Path:
    QApplication.processEvents()
    assert widget.grab().save(str(path)), f"could not save {path}"
    assert path.stat().st_size > 1000  # a real picture, not an empty canvas
    return path


@dataclass
class ScriptedAsker:
    """The journalist's answers, given in advance and taken in order; what was asked is kept."""

    bundles: list[Path | None] = field(default_factory=list)
    folders: list[Path | None] = field(default_factory=list)
    key_files: list[Path | None] = field(default_factory=list)
    passphrases: list[str | None] = field(default_factory=list)
    confirms: list[bool] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)

    def bundle(self) -> Path | None:
        return self.bundles.pop(0)

    def export_folder(self) -> Path | None:
        return self.folders.pop(0)

    def key_file(self) -> Path | None:
        return self.key_files.pop(0)

    def passphrase(self, prompt: str) -> str | None:
        self.questions.append(prompt)
        return self.passphrases.pop(0)

    def confirm(self, question: str) -> bool:
        self.questions.append(question)
        return self.confirms.pop(0)


def focus_chain(start: QWidget, steps: int) -> Iterator[QWidget]:
    """The widgets Tab visits from `start`, in order."""
    start.setFocus()
    for _ in range(steps):
        QApplication.processEvents()
        widget = QApplication.focusWidget()
        if widget is None:
            return
        yield widget
        QTest.keyClick(widget, Qt.Key.Key_Tab)


def open_window(vault: Vault, keyring: SubmissionKeyring, asker: ScriptedAsker, out: Path,
                network: tuple[NetworkFinding, ...] = ()) -> ReaderWindow:  # fmt: skip
    window = ReaderWindow(
        vault=vault, keyring=keyring, network=network, public_key_out=out, asker=asker
    )
    window.show()
    window.activateWindow()
    QApplication.processEvents()
    return window


def close(window: ReaderWindow) -> None:
    window.reports.wait()
    QApplication.processEvents()
    window.close()
    window.deleteLater()
    QApplication.processEvents()
