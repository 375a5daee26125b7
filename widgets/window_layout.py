"""The main window's furniture: default and saved layout, and project → widget data helpers."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import QByteArray, QRect, Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow, QSplitter

from app.events.store import EventStore, EventStoreError
from app.project.model import Project, Severity
from app.python_checks import Problem
from runner.result import InvokeResult

NARROW_WINDOW = 1400  # px: below this, History shares the left side with Project


class LayoutHost(Protocol):
    """The main window as the layout helpers see it (typed structurally: no import cycle)."""

    docks: dict[str, QDockWidget]
    vertical: QSplitter
    bottom: QSplitter
    code_split: QSplitter

    def width(self) -> int: ...
    def height(self) -> int: ...
    def saveGeometry(self) -> QByteArray: ...  # noqa: N802 - Qt's names
    def saveState(self, version: int = ...) -> QByteArray: ...  # noqa: N802
    def restoreGeometry(self, geometry: QByteArray | bytes | bytearray | memoryview) -> bool: ...  # noqa: N802
    def restoreState(
        self, state: QByteArray | bytes | bytearray | memoryview, version: int = ...
    ) -> bool: ...  # noqa: N802
    def tabifyDockWidget(self, first: QDockWidget, second: QDockWidget) -> None: ...  # noqa: N802
    def resizeDocks(
        self, docks: Sequence[QDockWidget], sizes: Sequence[int], orientation: Qt.Orientation
    ) -> None: ...  # noqa: N802


def _b64(data: QByteArray) -> str:
    return bytes(data.toBase64().data()).decode()


def save_layout(window: LayoutHost) -> dict[str, str]:
    return {
        "geometry": _b64(window.saveGeometry()),
        "state": _b64(window.saveState()),
        "vertical": _b64(window.vertical.saveState()),
        "bottom": _b64(window.bottom.saveState()),
        "code_split": _b64(window.code_split.saveState()),
    }


def restore_layout(window: LayoutHost, saved: dict[str, Any]) -> None:
    for key, restore in (("geometry", window.restoreGeometry), ("state", window.restoreState)):
        if saved.get(key):
            restore(QByteArray.fromBase64(saved[key].encode()))
    for key, splitter in (
        ("vertical", window.vertical),
        ("bottom", window.bottom),
        ("code_split", window.code_split),
    ):
        if saved.get(key):
            splitter.restoreState(QByteArray.fromBase64(saved[key].encode()))


def apply_default_layout(window: LayoutHost) -> None:
    """Shares of the window, so a 1280 px laptop keeps the code readable and 1600 px gives events room."""
    width, height = window.width(), window.height()
    project, event, history = (window.docks[n] for n in ("projectDock", "eventDock", "historyDock"))
    right = event if event.isVisible() else history
    if not event.isVisible() and width < NARROW_WINDOW:  # a laptop: History (and its tabs) with Project
        for name in ("historyDock", "localApiDock"):
            if name in window.docks:
                window.tabifyDockWidget(project, window.docks[name])
        project.raise_()
        right = event
    sizes = [min(280, max(170, width * 3 // 20)), min(460, max(260, width * 6 // 25))]
    if not event.isVisible():  # the event editor is beside the code: History needs less
        sizes[1] = min(380, max(260, width // 5))
    window.resizeDocks(
        [project, right] if right.isVisible() else [project],
        sizes[: 2 if right.isVisible() else 1],
        Qt.Orientation.Horizontal,
    )
    if event.isVisible():
        window.resizeDocks([event, history], [height * 3 // 5, height * 2 // 5], Qt.Orientation.Vertical)
    window.vertical.setSizes([height * 3 // 5, height * 2 // 5])
    center = window.vertical.width()
    window.code_split.setSizes([center * 3 // 5, center * 2 // 5])
    window.bottom.setSizes([center * 11 // 20, center * 9 // 20])


def events_by_function(project: Project, store: EventStore) -> dict[str, list[str]]:
    events: dict[str, list[str]] = {}
    for spec in project.functions:
        try:
            events[spec.logical_id] = [e.name for e in store.list_events(spec.logical_id)]
        except EventStoreError:
            events[spec.logical_id] = []
    return events


def diagnostics_by_file(project: Project) -> dict[str, list[Problem]]:
    """Template diagnostics with a position, as editor marks per file."""
    out: dict[str, list[Problem]] = {}
    for d in project.all_diagnostics:
        if d.file and d.line:
            severity = "error" if d.severity is Severity.ERROR else "warning"
            out.setdefault(str(d.file), []).append(Problem(d.line, d.column or 1, d.message, severity))
    return out


def fit_to_screen(window: QMainWindow, available: QRect) -> None:
    """Keep the window inside the screen's free area: never wider or taller than it, never off it."""
    frame = window.frameGeometry()
    extra_w, extra_h = frame.width() - window.width(), frame.height() - window.height()
    width = min(window.width(), available.width() - extra_w)
    height = min(window.height(), available.height() - extra_h)
    if (width, height) != (window.width(), window.height()):
        window.resize(width, height)
    frame = window.frameGeometry()
    x = min(max(frame.x(), available.x()), available.right() - frame.width() + 1)
    y = min(max(frame.y(), available.y()), available.bottom() - frame.height() + 1)
    if (x, y) != (frame.x(), frame.y()):
        window.move(x, y)


def runtime_errors_by_file(result: InvokeResult) -> dict[str, list[Problem]]:
    """An invoke's exception as editor marks: every frame in a local file, hover text type: message."""
    error = result.error
    out: dict[str, list[Problem]] = {}
    if error is None:
        return out
    message = f"{error.type}: {error.message}" if error.message else error.type
    for frame in error.frames:
        path = frame.local_path or (Path(frame.file) if Path(frame.file).is_file() else None)
        if path is not None and frame.line:
            out.setdefault(str(path), []).append(Problem(frame.line, 1, message, "error"))
    return out


def function_for_file(project: Project, path: str) -> str | None:
    """The function whose handler is this file, else the one whose code folder holds it (innermost)."""
    target = Path(path).resolve()
    best: tuple[int, str] | None = None
    for spec in project.functions:
        handler = spec.handler_file
        if handler is not None and handler.resolve() == target:
            return spec.logical_id
        code = spec.code_dir.resolve() if spec.code_dir is not None else None
        if code is not None and target.is_relative_to(code):
            depth = len(code.parts)
            if best is None or depth > best[0]:
                best = (depth, spec.logical_id)
    return best[1] if best else None
