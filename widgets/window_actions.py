"""The main window's menu entry points (widgets.window_menus.MenuHost) and its small dialogs."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QFileDialog, QInputDialog, QMenu

from widgets.window_debugging import DEBUG_DOCKS
from widgets.window_layout import apply_default_layout


class MenuActionsMixin:
    """Mixed into MainWindow, which provides the attributes used here (hence `self: Any`: typing the
    window here would import main_window back)."""

    # --- the menus' entry points (widgets.window_menus.MenuHost) ------------------------------------
    def save_focused(self: Any) -> None:
        """Ctrl+S: the event when the event editor has the focus, else the code tab."""
        focus = self.focusWidget()  # this window's focused child (the app's may be a dialog or none)
        if focus is not None and (focus is self.event_editor or self.event_editor.isAncestorOf(focus)):
            self.event_editor.save()
        else:
            self.tabs.save()

    def save_all(self: Any) -> None:
        self.tabs.save_all()

    def close_current_tab(self: Any) -> None:
        if self.tabs.count():
            self.tabs.close_tab(self.tabs.currentIndex())

    def quick_open(self: Any) -> None:
        """Ctrl+P: any file of the project by (part of) its name."""
        if self.project is None:
            self.show_message("Open a project first (File ▸ Open Folder…)")
            return
        root = self.project.root
        skip = {".git", ".aws-sam", ".lambda-studio", "__pycache__", ".venv", "node_modules"}
        names: list[str] = []
        for path in sorted(root.rglob("*")):
            rel = path.relative_to(root)
            if path.is_file() and not skip.intersection(rel.parts) and len(names) < 5000:
                names.append(str(rel))
        name, ok = QInputDialog.getItem(self, "Go to file", "File:", names, 0, True)
        if ok and name and (root / name).is_file():
            self.open_file(str(root / name))

    def show_find(self: Any, replace: bool = False) -> None:
        self.find_bar.show_bar(replace=replace)

    def set_theme(self: Any, name: str) -> None:
        self.settings.set("theme", name)

    def reset_layout(self: Any) -> None:
        """View ▸ Reset Layout: every panel back where it starts, the debug panels hidden."""
        previous: QDockWidget | None = None
        for name, dock in self.docks.items():
            dock.setFloating(False)
            area, tab_with = self._dock_homes[name]
            if name in DEBUG_DOCKS and previous is not None:
                self.splitDockWidget(previous, dock, Qt.Orientation.Horizontal)
            else:
                self.addDockWidget(area, dock)
            if tab_with is not None:
                self.tabifyDockWidget(self.docks[tab_with], dock)
            if name in DEBUG_DOCKS:
                previous = dock
            dock.setVisible(
                name not in DEBUG_DOCKS and not (name == "eventDock" and self.event_place == "beside")
            )
        self.docks["projectDock"].raise_()
        apply_default_layout(self)

    def show_about(self: Any) -> None:
        """The About dialog, window-modal and without blocking the event loop."""
        from widgets.about_dialog import AboutDialog  # reads licence metadata: only when asked

        dialog = AboutDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def toggle_breakpoint(self: Any) -> None:
        editor = self.tabs.current_editor()
        if editor is not None:
            editor.toggle_breakpoint()

    def go_to_line_dialog(self: Any) -> None:
        editor = self.tabs.current_editor()
        if editor is not None:
            line, ok = QInputDialog.getInt(
                self, "Go to line", "Line:", editor.cursor_position()[0], 1, editor.line_count()
            )
            if ok:
                editor.go_to_line(line)

    def choose_folder(self: Any) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open project folder")
        if folder:
            self.open_project(folder)

    def fill_recent_menu(self: Any, menu: QMenu) -> None:
        menu.clear()
        for path in self.settings.recent_projects():
            action = menu.addAction(path)
            action.triggered.connect(lambda _checked=False, p=path: self.open_project(p))
        if not menu.actions():
            menu.addAction("(none yet)").setEnabled(False)

    def new_project_dialog(self: Any) -> None:
        from widgets.new_project_dialog import NewProjectDialog

        dialog = NewProjectDialog(self)
        if dialog.exec() and dialog.created_path:
            self.open_project(dialog.created_path)

    def open_settings(self: Any) -> None:
        from widgets.settings_dialog import SettingsDialog

        SettingsDialog(self.settings, self).exec()
