"""The reader's main window: network warning, sources on the left, the conversation on the right."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from reader import metadata
from reader.airgap import NetworkFinding
from reader.export import ExportRefused, export_cleaned, export_original
from reader.names import shown
from reader.vault import Item, Outcome, SourceSummary, Vault
from reader.window.asking import Asker, DialogAsker
from reader.window.assistant import KeyAssistant
from reader.window.conversation import ConversationView
from reader.window.reports import ReportBoard
from sealdrop.crypto.submission_key import KeyPassphrase, SubmissionKeyring
from sealdrop.errors import SealdropError


def _count(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def source_line(source: SourceSummary) -> str:
    """The designation, then its counts: "2 messages, 1 file, 0 replies"."""
    counts = ", ".join(
        [
            _count(source.messages, "message", "messages"),
            _count(source.files, "file", "files"),
            _count(source.replies, "reply", "replies"),
        ]
    )
    return f"{shown(source.designation)}\n{counts}"


class ReaderWindow(QMainWindow):
    """Everything the journalist does on the reader machine, in one window."""

    def __init__(
        self,
        *,
        vault: Vault,
        keyring: SubmissionKeyring,
        network: tuple[NetworkFinding, ...],
        public_key_out: Path,
        asker: Asker | None = None,
        limits: metadata.Limits = metadata.DEFAULT_LIMITS,
    ) -> None:
        """`asker` answers the window's questions; Qt's own dialogs when it is None."""
        super().__init__()
        self.vault, self.keyring, self.limits = vault, keyring, limits
        self.asker: Asker = asker if asker is not None else DialogAsker(self)
        self.reports = ReportBoard(limits)
        self.reports.ready.connect(self._report_ready)
        self.setWindowTitle("Sealdrop reader")
        self.resize(1100, 720)
        body = QWidget()
        layout = QVBoxLayout(body)
        self.banner = self._banner(network)
        layout.addWidget(self.banner)
        self.pages = QStackedWidget()
        self.assistant = KeyAssistant(keyring, self.asker, public_key_out, self._key_ready)
        self.pages.addWidget(self.assistant)
        self.pages.addWidget(self._vault_page())
        layout.addWidget(self.pages, 1)
        self.status = QLabel("")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setAccessibleName("Status")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.setCentralWidget(body)
        QShortcut(QKeySequence("F6"), self, self._switch_pane)
        QShortcut(QKeySequence("Ctrl+I"), self, self._import_if_ready)
        QShortcut(QKeySequence.StandardKey.Quit, self, self.close)
        self.pages.setCurrentIndex(0 if not keyring.secret_keys() else 1)
        self.refresh()

    # --- building -------------------------------------------------------------------------

    @staticmethod
    def _banner(network: tuple[NetworkFinding, ...]) -> QLabel:
        lines = [f.sentence for f in network]
        banner = QLabel(
            "This machine may be online. The reader is meant for a machine that never is: "
            "disconnect it before you open submissions.\n" + "\n".join(lines)
        )
        banner.setTextFormat(Qt.TextFormat.PlainText)
        banner.setWordWrap(True)
        banner.setStyleSheet("background: #b00020; color: white; padding: 8px; font-weight: bold")
        banner.setAccessibleName("Network warning")
        banner.setVisible(bool(network))
        return banner

    def _vault_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        bar = QHBoxLayout()
        self.import_button = QPushButton("&Import…")
        self.import_button.setAccessibleName("Import a bundle")
        self.import_button.clicked.connect(self.import_bundle)
        bar.addWidget(self.import_button)
        bar.addStretch()
        layout.addLayout(bar)
        split = QSplitter()
        self.sources = QListWidget()
        self.sources.setAccessibleName("Sources, newest first")
        self.sources.currentItemChanged.connect(self._source_chosen)
        self.conversation = ConversationView(self.export)
        split.addWidget(self.sources)
        split.addWidget(self.conversation)
        split.setSizes([300, 800])
        layout.addWidget(split, 1)
        return page

    # --- behaviour ------------------------------------------------------------------------

    def say(self, text: str) -> None:
        self.status.setText(text)

    def refresh(self, keep: str | None = None) -> None:
        """Reload the sources list, keeping `keep` (or the current source) selected."""
        current = keep or self.current_designation()
        self.sources.clear()
        for source in self.vault.sources():
            entry = QListWidgetItem(source_line(source))
            entry.setData(Qt.ItemDataRole.UserRole, source.designation)
            self.sources.addItem(entry)
            if source.designation == current:
                self.sources.setCurrentItem(entry)
        if self.sources.currentItem() is None and self.sources.count():
            self.sources.setCurrentRow(0)
        if not self.sources.count():
            self.conversation.show_items(None, [])

    def current_designation(self) -> str | None:
        entry = self.sources.currentItem()
        return str(entry.data(Qt.ItemDataRole.UserRole)) if entry is not None else None

    def _source_chosen(self, entry: QListWidgetItem | None, _previous: object = None) -> None:
        if entry is None:
            return
        designation = str(entry.data(Qt.ItemDataRole.UserRole))
        items = self.vault.conversation(designation)
        self.conversation.show_items(designation, items)
        for path, row in self.conversation.rows.items():
            done = self.reports.get(path)
            if done is not None:
                row.show_report(done)
            else:
                self.reports.ask(path, row.item.original_name)

    def _report_ready(self, path: Path, report: metadata.MetadataReport) -> None:
        row = self.conversation.rows.get(path)
        if row is not None:
            row.show_report(report)

    def _key_ready(self, message: str) -> None:
        self.pages.setCurrentIndex(1)
        self.say(message)
        self.import_button.setFocus()

    def _switch_pane(self) -> None:
        """F6 moves between the sources and the conversation, as in most two-pane programs."""
        target = self.conversation if self.sources.hasFocus() else self.sources
        target.setFocus()
        if target is self.conversation:
            self.conversation.focusNextChild()

    def _import_if_ready(self) -> None:
        if self.pages.currentIndex() == 1 and self.import_button.isEnabled():
            self.import_bundle()

    def import_bundle(self) -> None:
        path = self.asker.bundle()
        if path is None:
            return
        passphrase = self.asker.passphrase("The Submission Key's passphrase:")
        if passphrase is None:
            return
        self.import_button.setEnabled(False)
        self.say(f"Importing {shown(path.name)}…")
        try:
            report = self.vault.import_path(
                path, self.keyring, KeyPassphrase(passphrase), progress=self._progress
            )
        except SealdropError as error:
            self.say(f"Nothing imported: {error}")
            return
        finally:
            self.import_button.setEnabled(True)
        counts = f"{report.count('imported')} imported, {report.count('duplicate')} already here"
        failed = [o for o in report.outcomes if o.status == "failed"]
        text = f"{shown(path.name)}: {counts}, {len(failed)} failed."
        if report.partial:
            text = f"{shown(path.name)}, partly: {report.partial}. {counts}, {len(failed)} failed."
        if report.refused:
            text = f"{shown(path.name)} was refused: {report.refused}"
        if failed:
            text += " " + "; ".join(f"{o.label}: {o.reason}" for o in failed[:5])
        self.refresh()
        self.say(text)

    def _progress(self, outcome: Outcome) -> None:
        self.say(f"{outcome.status}: {outcome.label}")  # labels are escaped where made
        QApplication.processEvents()  # keep the window drawn during a long import

    def export(self, item: Item, original: bool) -> None:
        name = item.original_name or f"{item.number}-file"
        if original and not self.asker.confirm(
            f"The original of {shown(name)} keeps all its metadata, which may identify the "
            "source. Export it anyway?"
        ):
            return
        folder = self.asker.export_folder()
        if folder is None:
            return
        try:
            if original:
                done = export_original(item.path, name=name, folder=folder)
            else:
                done = export_cleaned(item.path, name=name, folder=folder, limits=self.limits)
        except ExportRefused as error:
            self.say(str(error))
            return
        what = "The original" if original else "A cleaned copy"
        self.say(f"{what} of {shown(name)} was written to {shown(str(done.destination))}.")
