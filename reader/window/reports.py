"""Metadata reports made on a worker thread, so a slow file never freezes the window."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from reader import metadata


class ReportBoard(QObject):
    """Asks for reports and announces each one (on the window's thread) as `ready`."""

    ready = Signal(object, object)  # the file's path, its MetadataReport

    def __init__(self, limits: metadata.Limits = metadata.DEFAULT_LIMITS) -> None:
        super().__init__()
        self._limits = limits
        self._done: dict[Path, metadata.MetadataReport] = {}
        self._asked: set[Path] = set()
        self._pool = QThreadPool()
        self._pool.setMaxThreadCount(2)  # mat2 runs are processes; two keep a laptop usable

    def get(self, path: Path) -> metadata.MetadataReport | None:
        return self._done.get(path)

    def ask(self, path: Path, type_name: str | None) -> None:
        """Start a report unless one is done or under way; `ready` fires when it is done."""
        if path in self._done or path in self._asked:
            return
        self._asked.add(path)
        self._pool.start(_Job(self, path, type_name, self._limits))

    def pending(self) -> int:
        return len(self._asked) - len(self._done.keys() & self._asked)

    def wait(self) -> None:
        self._pool.waitForDone()

    def _finish(self, path: Path, report: metadata.MetadataReport) -> None:
        self._done[path] = report
        self.ready.emit(path, report)


class _Job(QRunnable):
    def __init__(
        self, board: ReportBoard, path: Path, type_name: str | None, limits: metadata.Limits
    ) -> None:
        super().__init__()
        self._board, self._path, self._type_name, self._limits = board, path, type_name, limits
        self._signal = _Relay()
        self._signal.done.connect(board._finish)

    def run(self) -> None:
        report = metadata.report(self._path, type_name=self._type_name, limits=self._limits)
        self._signal.done.emit(self._path, report)


class _Relay(QObject):
    """Carries a finished report from the worker thread to the board's thread."""

    done = Signal(object, object)
