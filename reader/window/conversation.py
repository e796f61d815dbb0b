"""One source's conversation: messages and replies as text, files as rows with their metadata."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from reader import metadata
from reader.names import shown, shown_lines
from reader.vault import Item
from sealdrop.domain.items import Kind

MAX_FINDINGS_SHOWN = 12
_TITLES = {Kind.MESSAGE: "Message from the source", Kind.REPLY: "Reply from the newsroom"}
Export = Callable[[Item, bool], None]  # the item, and whether the original was asked for


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":  # noqa: PLR2004 (decimal units, as file managers show)
            return f"{int(value)} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} bytes"  # not reached


def _text_label(text: str, *, name: str) -> QLabel:
    """Plain text only (a source's words are never read as HTML), selectable, reachable by Tab."""
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    label.setTextInteractionFlags(
        Qt.TextInteractionFlag.TextSelectableByMouse
        | Qt.TextInteractionFlag.TextSelectableByKeyboard
    )
    label.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    label.setAccessibleName(name)
    return label


class FileRow(QFrame):
    """A file: escaped name, size, type, what mat2 found, and the two export buttons."""

    def __init__(self, item: Item, export: Export) -> None:
        super().__init__()
        self.item = item
        self.setFrameShape(QFrame.Shape.StyledPanel)
        name = item.shown_name or "(no name)"
        layout = QVBoxLayout(self)
        self.title = _text_label(
            f"#{item.number} · File {name} · {human_size(item.size)}", name=f"File {name}"
        )
        self.title.setStyleSheet("font-weight: bold")
        self.kind = _text_label("Type: checking…", name="File type")
        self.findings = _text_label("Metadata: checking with mat2…", name="Metadata found")
        buttons = QHBoxLayout()
        self.export_clean = QPushButton("Export &clean copy")
        self.export_clean.setAccessibleName(f"Export a clean copy of {name}")
        self.export_clean.setEnabled(False)  # until mat2 says it can read the file
        self.export_clean.clicked.connect(lambda: export(item, False))
        self.export_original = QPushButton("Export &original…")
        self.export_original.setAccessibleName(f"Export the original of {name}, with metadata")
        self.export_original.clicked.connect(lambda: export(item, True))
        buttons.addWidget(self.export_clean)
        buttons.addWidget(self.export_original)
        buttons.addStretch()
        for widget in (self.title, self.kind, self.findings):
            layout.addWidget(widget)
        layout.addLayout(buttons)

    def show_report(self, report: metadata.MetadataReport) -> None:
        self.kind.setText(f"Type: {report.mime_type or 'unknown'}")
        lines = [report.sentence]
        for finding in report.findings[:MAX_FINDINGS_SHOWN]:
            where = f"{shown(finding.part)}: " if finding.part else ""
            lines.append(f"  {where}{shown(finding.key)} = {shown(finding.value)}")
        if len(report.findings) > MAX_FINDINGS_SHOWN:
            lines.append(f"  … and {len(report.findings) - MAX_FINDINGS_SHOWN} more")
        self.findings.setText("\n".join(lines))
        self.export_clean.setEnabled(report.problem is None)
        if report.problem is not None:
            self.export_clean.setToolTip(report.sentence)


class ConversationView(QScrollArea):
    """The right-hand pane; `show_items` replaces what it shows."""

    def __init__(self, export: Export) -> None:
        super().__init__()
        self._export = export
        self.setWidgetResizable(True)
        self.setAccessibleName("Conversation")
        self.rows: dict[Path, FileRow] = {}
        self.texts: list[QLabel] = []
        self.show_items(None, [])

    def show_items(self, designation: str | None, items: list[Item]) -> None:
        body = QWidget()
        layout = QVBoxLayout(body)
        self.rows, self.texts = {}, []
        if designation is None:
            layout.addWidget(
                QLabel("Choose a source on the left, or import what you carried over.")
            )
        else:
            heading = QLabel(f"{shown(designation)}: {len(items)} item(s)")
            heading.setTextFormat(Qt.TextFormat.PlainText)
            heading.setStyleSheet("font-size: 16pt")
            layout.addWidget(heading)
        for item in items:
            layout.addWidget(self._widget(item))
        layout.addStretch()
        self.setWidget(body)

    def _widget(self, item: Item) -> QWidget:
        if item.kind is Kind.FILE:
            row = FileRow(item, self._export)
            self.rows[item.path] = row
            return row
        marks = " (was encrypted twice)" if item.double_encrypted else ""
        lines = shown_lines(item.text())
        title = f"#{item.number} · {_TITLES[item.kind]}{marks}"
        label = _text_label(f"{title}\n" + "\n".join(lines), name=title)
        label.setFrameShape(QFrame.Shape.StyledPanel)
        if item.kind is Kind.REPLY:
            label.setStyleSheet("background: #eef3fb; padding: 6px")
        else:
            label.setStyleSheet("padding: 6px")
        self.texts.append(label)
        return label
