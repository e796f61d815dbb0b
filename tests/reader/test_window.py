"""The reader window, offscreen: import, sources, a conversation with its metadata, export,
keyboard use, and the banner of a machine that looks online. The first run has its own module."""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from reader import metadata
from reader.airgap import Kind, NetworkFinding
from reader.window.conversation import FileRow
from reader.window.main import ReaderWindow
from sealdrop.runtime.instance import Instance
from tests.reader import samples
from tests.reader.helpers import (
    PASSPHRASE,
    KeyTemplate,
    ReaderMachine,
    data_start,
    download,
    reply,
    submit,
)
from tests.reader.window_actions import (
    ScriptedAsker,
    application,
    close,
    focus_chain,
    open_window,
    screenshot,
    wait_until,
)

# Each test has a source submit through the real source interface, gpg decrypt and mat2 read.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def qapp() -> QApplication:
    return application()


@pytest.fixture
def drive(tmp_path: Path) -> Path:
    folder = tmp_path / "EXPORT-DRIVE"
    folder.mkdir()
    return folder


def rows(window: ReaderWindow) -> dict[str, FileRow]:
    return {row.item.original_name or "": row for row in window.conversation.rows.values()}


def reports_shown(window: ReaderWindow) -> bool:
    return all(
        not row.findings.text().endswith("checking with mat2…") for row in rows(window).values()
    )


@pytest.fixture
def newsroom_bundles(
    newsroom: Instance, reader_key: KeyTemplate, tmp_path: Path
) -> tuple[str, str, list[Path]]:
    """Two sources: one with a message, a PDF naming its author, an unknown blob and a reply;
    a newer one with a message alone. Their bundles, as a journalist downloads them."""
    pdf = samples.pdf(tmp_path / "m.pdf").read_bytes()
    first = submit(
        newsroom,
        "The ledger is in the drawer.\nSigned: \u202eevil",
        [(pdf, "minutes.pdf"), (os.urandom(3000), "blob.bin")],
    )
    reply(newsroom, first, "Thank you, received.", [reader_key.key])
    second = submit(newsroom, "A second source.", [])
    return first, second, [download(newsroom, d, tmp_path / f"{n}.zip") for n, d in
                           enumerate([first, second])]  # fmt: skip


@pytest.fixture
def window_with_sources(
    qapp: QApplication,
    reader: ReaderMachine,
    newsroom_bundles: tuple[str, str, list[Path]],
    drive: Path,
    tmp_path: Path,
) -> Iterator[tuple[ReaderWindow, ScriptedAsker]]:
    _, _, bundles = newsroom_bundles
    asker = ScriptedAsker(bundles=list(bundles), passphrases=[PASSPHRASE, PASSPHRASE])
    with reader.vault() as vault:
        window = open_window(vault, reader.keyring, asker, tmp_path / "pub.asc")
        try:
            QTest.mouseClick(window.import_button, Qt.MouseButton.LeftButton)
            assert window.status.text() == "0.zip: 4 imported, 0 already here, 0 failed."
            QTest.keyClick(window, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier)
            assert window.status.text() == "1.zip: 1 imported, 0 already here, 0 failed."
            yield window, asker
        finally:
            close(window)


def test_sources_newest_first_and_a_conversation_with_metadata(
    window_with_sources: tuple[ReaderWindow, ScriptedAsker],
    newsroom_bundles: tuple[str, str, list[Path]],
    tmp_path: Path,
) -> None:
    window, _ = window_with_sources
    first, second, _ = newsroom_bundles
    listed = [window.sources.item(i).text() for i in range(window.sources.count())]
    assert listed == [
        f"{second}\n1 message, 0 files, 0 replies",
        f"{first}\n1 message, 2 files, 1 reply",
    ]
    window.sources.setCurrentRow(1)
    wait_until(lambda: reports_shown(window))
    # A source's words are shown as plain text: markup in them is never interpreted.
    assert {label.textFormat() for label in window.conversation.texts} == {Qt.TextFormat.PlainText}
    message, answer = (label.text() for label in window.conversation.texts)
    assert (
        message == "#1 · Message from the source\nThe ledger is in the drawer.\nSigned: \\u202eevil"
    )
    assert answer == "#4 · Reply from the newsroom\nThank you, received."
    pdf, blob = rows(window)["minutes.pdf"], rows(window)["blob.bin"]
    assert pdf.title.text().startswith("#2 · File minutes.pdf · ")
    assert pdf.kind.text() == "Type: application/pdf"
    assert "author = Alice Whistler" in pdf.findings.text()
    assert pdf.export_clean.isEnabled()
    assert blob.findings.text().startswith("Unknown format: mat2 cannot read")
    assert not blob.export_clean.isEnabled()
    assert blob.title.text() == "#3 · File blob.bin · 3.0 KB"
    screenshot(window, tmp_path / "conversation.png")


def test_export_a_clean_copy_and_an_original_after_confirming(
    window_with_sources: tuple[ReaderWindow, ScriptedAsker], drive: Path
) -> None:
    window, asker = window_with_sources
    window.sources.setCurrentRow(1)
    wait_until(lambda: reports_shown(window))
    pdf = rows(window)["minutes.pdf"]
    asker.folders += [drive, drive]
    asker.confirms += [False, True]

    pdf.export_clean.click()
    assert window.status.text().startswith("A cleaned copy of minutes.pdf was written to ")
    cleaned = metadata.report(drive / "minutes.pdf")
    assert cleaned.problem is None
    assert samples.AUTHOR not in {f.value for f in cleaned.findings}

    pdf.export_original.click()  # the journalist says no: nothing is written, no folder asked
    assert sorted(p.name for p in drive.iterdir()) == ["minutes.pdf"]
    assert "keeps all its metadata" in asker.questions[-1]
    pdf.export_original.click()
    assert (drive / "minutes (2).pdf").read_bytes() == pdf.item.path.read_bytes()
    assert asker.folders == []


def test_the_window_is_keyboard_navigable(
    window_with_sources: tuple[ReaderWindow, ScriptedAsker], tmp_path: Path
) -> None:
    window, _ = window_with_sources
    window.sources.setCurrentRow(0)
    window.sources.setFocus()
    QTest.keyClick(window.sources, Qt.Key.Key_Down)  # arrows move between sources
    assert window.sources.currentRow() == 1
    wait_until(lambda: reports_shown(window))
    visited = list(focus_chain(window.import_button, 14))
    pdf = rows(window)["minutes.pdf"]
    for wanted in (window.import_button, window.sources, window.conversation.texts[0],
                   pdf.export_clean, pdf.export_original):  # fmt: skip
        assert wanted in visited, wanted.accessibleName()
    window.sources.setFocus()
    QTest.keyClick(window.sources, Qt.Key.Key_F6)  # F6 goes to the conversation
    focused = QApplication.focusWidget()
    assert focused is not None and window.conversation.isAncestorOf(focused)
    screenshot(window, tmp_path / "keyboard.png")


def test_bad_imports_get_one_clear_line(
    qapp: QApplication, reader: ReaderMachine, newsroom_bundles: tuple[str, str, list[Path]],
    tmp_path: Path,
) -> None:  # fmt: skip
    _, _, bundles = newsroom_bundles
    with zipfile.ZipFile(bundles[0]) as archive:
        first = archive.infolist()[0]
    truncated = tmp_path / "truncated.zip"  # cut inside its first entry
    truncated.write_bytes(bundles[0].read_bytes()[: data_start(bundles[0], first) + 10])
    asker = ScriptedAsker(
        bundles=[None, bundles[0], truncated], passphrases=["wrong passphrase", PASSPHRASE]
    )
    with reader.vault() as vault:
        window = open_window(vault, reader.keyring, asker, tmp_path / "pub.asc")
        try:
            window.import_button.click()  # cancelled: nothing asked, nothing said
            assert (asker.questions, window.status.text()) == ([], "")
            window.import_button.click()
            assert window.status.text().startswith("Nothing imported: ")
            assert window.sources.count() == 0
            window.import_button.click()  # cut inside its first entry: nothing whole in it
            assert window.status.text().startswith("truncated.zip, partly: it is cut short (")
            first_entry = first.filename  # a label is escaped once, where it is made
            assert window.status.text().endswith(
                f"0 imported, 0 already here, 1 failed. {first_entry}: cut short: the file ends "
                "inside this entry"
            )
            assert window.sources.count() == 0
            assert window.import_button.isEnabled()
        finally:
            close(window)


def test_a_machine_that_looks_online_gets_a_banner(
    qapp: QApplication, reader: ReaderMachine, tmp_path: Path
) -> None:
    finding = NetworkFinding(Kind.INTERFACE_UP, "eth0", "Network interface eth0 is up.")
    with reader.vault() as vault:
        online = open_window(vault, reader.keyring, ScriptedAsker(), tmp_path / "p", (finding,))
        offline = open_window(vault, reader.keyring, ScriptedAsker(), tmp_path / "p")
        try:
            assert online.banner.isVisible()
            assert online.banner.text().endswith("\nNetwork interface eth0 is up.")
            assert not offline.banner.isVisible()
            screenshot(online, tmp_path / "online.png")
        finally:
            close(online)
            close(offline)
