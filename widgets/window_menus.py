"""The main window's menu bar as an object: every menu and action reachable by name, never by label."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMenu, QMenuBar


class MenuHost(Protocol):
    """What the menus call; the main window provides it (no import of the window: no cycle)."""

    def choose_folder(self) -> None: ...
    def fill_recent_menu(self, menu: QMenu) -> None: ...
    def new_project_dialog(self) -> None: ...
    def save_focused(self) -> None: ...
    def save_all(self) -> None: ...
    def close_current_tab(self) -> None: ...
    def close_project(self) -> bool: ...
    def open_settings(self) -> None: ...
    def quick_open(self) -> None: ...
    def close(self) -> bool: ...
    def show_find(self, replace: bool = False) -> None: ...
    def go_to_line_dialog(self) -> None: ...
    def toggle_breakpoint(self) -> None: ...
    def set_theme(self, name: str) -> None: ...
    def reset_layout(self) -> None: ...
    def set_event_place(self, place: str) -> None: ...
    def show_about(self) -> None: ...


@dataclass
class WindowMenus:
    """The menus (`file`, `edit`, `run`, `view`, `panels`, `help`, `recent`) and `actions` by name."""

    file: QMenu
    recent: QMenu
    edit: QMenu
    run: QMenu
    view: QMenu
    panels: QMenu
    help: QMenu
    actions: dict[str, QAction] = field(default_factory=dict)

    def add_panel(self, name: str, dock: QDockWidget) -> QAction:
        """A panel's show/hide entry in View ▸ Panels (named `panel:<name>`)."""
        action = dock.toggleViewAction()
        action.setObjectName(f"panel:{name}")
        self.panels.addAction(action)
        self.actions[f"panel:{name}"] = action
        return action

    def add_run_actions(self, actions: list[QAction], names: list[str] | None = None) -> None:
        """More actions at the end of the Run menu (debug stepping, deploy), after a separator."""
        self.run.addSeparator()
        self.run.addActions(actions)
        for action, name in zip(actions, names or [a.objectName() for a in actions], strict=True):
            if name:
                self.actions[name] = action


def build_menus(
    bar: QMenuBar, parent: QObject, host: MenuHost, run_actions: dict[str, QAction]
) -> WindowMenus:
    """The menu bar of the window: File, Edit, Run (the given actions first), View, Help."""
    file_menu = bar.addMenu("&File")
    menus = WindowMenus(
        file=file_menu,
        recent=QMenu("Open Recent", file_menu),
        edit=bar.addMenu("&Edit"),
        run=bar.addMenu("&Run"),
        view=bar.addMenu("&View"),
        panels=QMenu("Panels", bar),
        help=bar.addMenu("&Help"),
    )

    def add(menu: QMenu, name: str, text: str, slot: Callable[[], object], keys: str | None = None) -> None:
        action = QAction(text, parent)
        action.setObjectName(name)
        if keys:
            action.setShortcut(QKeySequence(keys))
        action.triggered.connect(lambda _checked=False: slot())
        menu.addAction(action)
        menus.actions[name] = action

    add(file_menu, "open_folder", "Open Folder…", host.choose_folder, "Ctrl+O")
    file_menu.addMenu(menus.recent)
    menus.recent.aboutToShow.connect(lambda: host.fill_recent_menu(menus.recent))
    add(file_menu, "new_project", "New Project…", host.new_project_dialog)
    add(file_menu, "quick_open", "Go to File…", host.quick_open, "Ctrl+P")
    file_menu.addSeparator()
    add(file_menu, "save", "Save", host.save_focused, "Ctrl+S")
    add(file_menu, "save_all", "Save All", host.save_all, "Ctrl+Shift+S")
    add(file_menu, "close_tab", "Close Tab", host.close_current_tab, "Ctrl+W")
    add(file_menu, "close_project", "Close Project", host.close_project)
    file_menu.addSeparator()
    add(file_menu, "settings", "Settings…", host.open_settings, "Ctrl+,")
    add(file_menu, "quit", "Quit", host.close, "Ctrl+Q")
    add(menus.edit, "find", "Find…", lambda: host.show_find(), "Ctrl+F")
    add(menus.edit, "replace", "Replace…", lambda: host.show_find(replace=True), "Ctrl+H")
    add(menus.edit, "go_to_line", "Go to Line…", host.go_to_line_dialog, "Ctrl+G")
    add(menus.edit, "toggle_breakpoint", "Toggle Breakpoint\tF9", host.toggle_breakpoint)
    for name, action in run_actions.items():
        menus.run.addAction(action)
        menus.actions[name] = action
    menus.view.addMenu(menus.panels)
    beside = QAction("Event Editor Beside the Code", parent, checkable=True)
    beside.setObjectName("event_beside")
    beside.toggled.connect(lambda on: host.set_event_place("beside" if on else "dock"))
    menus.view.addAction(beside)
    menus.actions["event_beside"] = beside
    add(menus.view, "reset_layout", "Reset Layout", host.reset_layout)
    menus.view.addSeparator()
    add(menus.view, "dark_theme", "Dark Theme", lambda: host.set_theme("dark"))
    add(menus.view, "light_theme", "Light Theme", lambda: host.set_theme("light"))
    add(menus.help, "about", "About Lambda Studio", host.show_about)
    return menus
