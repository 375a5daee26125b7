"""The main window's furniture: menus, default and saved layout, and project → widget data helpers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu

from app.events.store import EventStore, EventStoreError
from app.project.model import Project, Severity
from app.python_checks import Problem

if TYPE_CHECKING:
    from widgets.main_window import MainWindow


def build_menus(window: MainWindow) -> QMenu:
    """The menu bar; returns the Open Recent menu (filled each time it opens)."""
    bar = window.menuBar()
    file_menu = bar.addMenu("&File")
    _add(window, file_menu, "Open Folder…", window.choose_folder, "Ctrl+O")
    recent = file_menu.addMenu("Open Recent")
    recent.aboutToShow.connect(lambda: window.fill_recent_menu(recent))
    _add(window, file_menu, "New Project…", window.new_project_dialog)
    file_menu.addSeparator()
    _add(window, file_menu, "Save", lambda: window.tabs.save(), "Ctrl+S")
    _add(window, file_menu, "Save All", window.tabs.save_all, "Ctrl+Shift+S")
    _add(window, file_menu, "Close Project", window.close_project)
    file_menu.addSeparator()
    _add(window, file_menu, "Settings…", window.open_settings, "Ctrl+,")
    _add(window, file_menu, "Quit", window.close, "Ctrl+Q")
    edit = bar.addMenu("&Edit")
    _add(window, edit, "Find…", lambda: window.find_bar.show_bar(), "Ctrl+F")
    _add(window, edit, "Replace…", lambda: window.find_bar.show_bar(replace=True), "Ctrl+H")
    _add(window, edit, "Go to Line…", window.go_to_line_dialog, "Ctrl+G")
    _add(window, edit, "Toggle Breakpoint\tF9", window.toggle_breakpoint)
    run = bar.addMenu("&Run")
    run.addAction(window.toolbar.invoke_action)
    run.addAction(window.toolbar.stop_action)
    view = bar.addMenu("&View")
    _add(window, view, "Dark Theme", lambda: window.settings.set("theme", "dark"))
    _add(window, view, "Light Theme", lambda: window.settings.set("theme", "light"))
    help_menu = bar.addMenu("&Help")
    _add(window, help_menu, "About Lambda Studio", lambda: show_about(window))
    return recent


def show_about(window: MainWindow) -> None:
    """The About dialog, window-modal and without blocking the event loop."""
    from widgets.about_dialog import AboutDialog  # reads licence metadata: only when asked

    dialog = AboutDialog(window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()


def _add(window: MainWindow, menu: object, text: str, slot: object, keys: str | None = None) -> QAction:
    action = QAction(text, window)
    if keys:
        action.setShortcut(QKeySequence(keys))
    action.triggered.connect(lambda _checked=False: slot())  # type: ignore[operator]
    menu.addAction(action)  # type: ignore[attr-defined]
    return action


def _b64(data: QByteArray) -> str:
    return bytes(data.toBase64().data()).decode()


def save_layout(window: MainWindow) -> dict[str, str]:
    return {
        "geometry": _b64(window.saveGeometry()),
        "state": _b64(window.saveState()),
        "vertical": _b64(window.vertical.saveState()),
        "bottom": _b64(window.bottom.saveState()),
    }


def restore_layout(window: MainWindow, saved: dict[str, Any]) -> None:
    for key, restore in (("geometry", window.restoreGeometry), ("state", window.restoreState)):
        if saved.get(key):
            restore(QByteArray.fromBase64(saved[key].encode()))
    for key, splitter in (("vertical", window.vertical), ("bottom", window.bottom)):
        if saved.get(key):
            splitter.restoreState(QByteArray.fromBase64(saved[key].encode()))


def apply_default_layout(window: MainWindow) -> None:
    docks = [window.docks["projectDock"], window.docks["eventDock"]]
    width = window.width()
    window.resizeDocks(docks, [max(240, width // 6), max(420, width * 7 // 25)], Qt.Orientation.Horizontal)
    history = window.docks["historyDock"]
    window.resizeDocks(
        [docks[1], history], [window.height() * 3 // 5, window.height() * 2 // 5], Qt.Orientation.Vertical
    )
    window.vertical.setSizes([window.height() * 3 // 5, window.height() * 2 // 5])
    center = window.vertical.width()
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
