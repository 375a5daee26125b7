"""Tabs of code editors: open, save, save all, dirty markers, reload on external change, breakpoints."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, QPoint, Signal
from PySide6.QtWidgets import QMessageBox, QTabWidget, QWidget

from app.fsutil import atomic_write
from app.python_checks import Problem
from widgets.code_editor import CodeEditor, CompletionRequest
from widgets.editor_styles import language_for_path
from widgets.themes import LIGHT, Theme

DISCARD, SAVE, CANCEL = "discard", "save", "cancel"


def ask_save_discard_cancel(parent: QWidget, title: str, text: str) -> str:
    """Asks Save / Discard / Cancel (Save the default); returns SAVE, DISCARD or CANCEL."""
    answer = QMessageBox.question(
        parent,
        title,
        text,
        QMessageBox.StandardButton.Save
        | QMessageBox.StandardButton.Discard
        | QMessageBox.StandardButton.Cancel,
        QMessageBox.StandardButton.Save,
    )
    if answer == QMessageBox.StandardButton.Save:
        return SAVE
    return DISCARD if answer == QMessageBox.StandardButton.Discard else CANCEL


def _ask_unsaved(parent: QWidget, paths: list[str]) -> str:
    names = "\n".join(Path(p).name for p in paths)
    return ask_save_discard_cancel(
        parent,
        "Unsaved changes",
        f"These files have unsaved changes:\n\n{names}\n\nSave them before closing?",
    )


def _ask_reload(parent: QWidget, path: str) -> bool:
    answer = QMessageBox.question(
        parent,
        "File changed on disk",
        f"{Path(path).name} was changed by another program, and you have unsaved edits.\n\n"
        "Reload it from disk (your edits are lost) or keep your version?",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    return answer == QMessageBox.StandardButton.Yes


class EditorTabs(QTabWidget):
    """Open files by path; each tab is a CodeEditor. Prompts are attributes so tests can answer them."""

    current_file_changed = Signal(str)
    dirty_state_changed = Signal()
    cursor_moved = Signal(int, int)
    breakpoints_changed = Signal()
    breakpoint_menu_requested = Signal(str, int, QPoint)  # path, 1-based line, global position
    message = Signal(str)
    file_saved = Signal(str)

    def __init__(self, parent: QWidget | None = None, *, theme: Theme = LIGHT, font_size: int = 11) -> None:
        super().__init__(parent)
        self.setTabsClosable(True)
        self.setMovable(True)
        self.setDocumentMode(True)
        self._theme = theme
        self._font_size = font_size
        self._editors: dict[str, CodeEditor] = {}
        self._disk_text: dict[str, str] = {}
        self._pending_breakpoints: dict[str, list[int]] = {}
        self._pending_diagnostics: dict[str, list[Problem]] = {}
        self._runtime_errors: dict[str, list[Problem]] = {}
        self._watcher = QFileSystemWatcher(self)
        self._watcher.fileChanged.connect(self._on_file_changed)
        self.ask_unsaved: Callable[[list[str]], str] = lambda paths: _ask_unsaved(self, paths)
        self.ask_reload: Callable[[str], bool] = lambda path: _ask_reload(self, path)
        self.completion_provider: Callable[[CompletionRequest], None] | None = None
        self.check_provider: Callable[[str, str, Callable[[list[Problem]], None]], None] | None = None
        self.tabCloseRequested.connect(lambda index: self.close_tab(index))
        self.currentChanged.connect(lambda _i: self.current_file_changed.emit(self.current_path() or ""))

    # --- opening ----------------------------------------------------------------------------------
    def open_file(self, path: str | Path, line: int | None = None, column: int = 1) -> CodeEditor | None:
        key = str(Path(path).resolve())
        editor = self._editors.get(key)
        if editor is None:
            try:
                text = Path(key).read_text(encoding="utf-8", errors="replace")
            except OSError as exc:
                self.message.emit(f"Cannot open {path}: {exc.strerror or exc}")
                return None
            editor = self._new_editor(key, text)
        self.setCurrentWidget(editor)
        if line:
            editor.go_to_line(line, column)
        return editor

    def _new_editor(self, key: str, text: str) -> CodeEditor:
        editor = CodeEditor(
            self, language=language_for_path(key), theme=self._theme, font_size=self._font_size
        )
        editor.completion_provider = self.completion_provider
        editor.check_provider = self.check_provider
        editor.set_text(text, path=key)
        editor.set_breakpoints(self._pending_breakpoints.pop(key, []))
        if key in self._pending_diagnostics:
            editor.set_external_diagnostics(self._pending_diagnostics.pop(key))
        if key in self._runtime_errors:
            editor.set_runtime_errors(self._runtime_errors[key])
        self._editors[key] = editor
        self._disk_text[key] = text
        self._watcher.addPath(key)
        editor.dirty_changed.connect(lambda _d, e=editor: self._update_title(e))
        editor.cursor_moved.connect(self.cursor_moved.emit)
        editor.breakpoints_changed.connect(self.breakpoints_changed.emit)
        editor.breakpoint_menu_requested.connect(
            lambda line, pos: self.breakpoint_menu_requested.emit(key, line, pos)
        )
        index = self.addTab(editor, Path(key).name)
        self.setTabToolTip(index, key)
        self._refresh_titles()
        return editor

    def tab_label(self, key: str) -> str:
        """The file name; with its folder when another open tab has the same name (two app.py)."""
        name = Path(key).name
        twins = [k for k in self._editors if Path(k).name == name and k != key]
        if not twins:
            return name
        return f"{name} — {Path(key).parent.name}"

    def _refresh_titles(self) -> None:
        for editor in self._editors.values():
            self._update_title(editor)

    def _update_title(self, editor: CodeEditor) -> None:
        index = self.indexOf(editor)
        if index >= 0:
            name = self.tab_label(self.path_of(editor))
            self.setTabText(index, f"● {name}" if editor.is_dirty() else name)
        self.dirty_state_changed.emit()

    # --- queries ----------------------------------------------------------------------------------
    def path_of(self, editor: QWidget) -> str:
        return next((p for p, e in self._editors.items() if e is editor), "")

    def editor_for(self, path: str | Path) -> CodeEditor | None:
        return self._editors.get(str(Path(path).resolve()))

    def current_editor(self) -> CodeEditor | None:
        widget = self.currentWidget()
        return widget if isinstance(widget, CodeEditor) else None

    def current_path(self) -> str | None:
        editor = self.current_editor()
        return self.path_of(editor) if editor else None

    def open_paths(self) -> list[str]:
        return [self.path_of(w) for i in range(self.count()) if (w := self.widget(i)) is not None]

    def dirty_paths(self) -> list[str]:
        return [p for p, e in self._editors.items() if e.is_dirty()]

    def unsaved_buffers(self) -> dict[str, str]:
        return {p: self._editors[p].text() for p in self.dirty_paths()}

    # --- saving and closing -----------------------------------------------------------------------
    def save(self, path: str | None = None) -> bool:
        key = str(Path(path).resolve()) if path else self.current_path()
        editor = self._editors.get(key or "")
        if editor is None or key is None:
            return False
        text = editor.text()
        try:
            atomic_write(key, text)  # a crash mid-save never leaves half a file; the mode is kept
        except OSError as exc:
            self.message.emit(f"Cannot save {Path(key).name}: {exc.strerror or exc}")
            return False
        self._disk_text[key] = text
        if key not in self._watcher.files():
            self._watcher.addPath(key)
        editor.mark_saved()
        self.message.emit(f"Saved {Path(key).name}")
        self.file_saved.emit(key)
        return True

    def save_all(self) -> bool:
        return all([self.save(p) for p in self.dirty_paths()])

    def close_tab(self, index: int, *, ask: bool = True) -> bool:
        editor = self.widget(index)
        if not isinstance(editor, CodeEditor):
            return False
        key = self.path_of(editor)
        if ask and editor.is_dirty():
            answer = self.ask_unsaved([key])
            if answer == CANCEL or answer == SAVE and not self.save(key):
                return False
        self.removeTab(index)
        self._editors.pop(key, None)
        self._disk_text.pop(key, None)
        self._watcher.removePath(key)
        editor.deleteLater()
        self._refresh_titles()  # a twin left: the other one's name alone is enough again
        self.dirty_state_changed.emit()
        return True

    def close_all(self, *, ask: bool = True) -> bool:
        """Close every tab; asks once about all unsaved files. False when the user cancels."""
        dirty = self.dirty_paths()
        if ask and dirty:
            answer = self.ask_unsaved(dirty)
            if answer == CANCEL or answer == SAVE and not self.save_all():
                return False
        while self.count():
            self.close_tab(0, ask=False)
        return True

    def restore_buffer(self, path: str, text: str) -> None:
        """Put recovered text back into a tab as an unsaved (undoable) edit."""
        editor = self.open_file(path)
        if editor is not None and editor.text() != text:
            editor.replace_all_text(text)

    # --- external changes -------------------------------------------------------------------------
    def _on_file_changed(self, path: str) -> None:
        editor = self._editors.get(path)
        if editor is None:
            return
        if not Path(path).exists():
            self.message.emit(f"{Path(path).name} was deleted on disk; save to keep it")
            return
        if path not in self._watcher.files():
            self._watcher.addPath(path)  # editors that write via rename drop the watch
        try:
            disk = Path(path).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return
        if disk == self._disk_text.get(path):
            return
        if editor.is_dirty() and not self.ask_reload(path):
            self._disk_text[path] = disk
            return
        line, column = editor.cursor_position()
        editor.set_text(disk, path=path)
        editor.go_to_line(line, column)
        self._disk_text[path] = disk
        self._update_title(editor)
        self.message.emit(f"Reloaded {Path(path).name} (changed on disk)")

    def check_external_changes(self) -> None:
        """Poll every open file (watchers miss some network file systems)."""
        for path in list(self._editors):
            self._on_file_changed(path)

    # --- breakpoints, diagnostics, looks ----------------------------------------------------------
    def breakpoints(self) -> dict[str, list[int]]:
        out = {p: list(v) for p, v in self._pending_breakpoints.items() if v}
        out.update({p: e.breakpoints() for p, e in self._editors.items() if e.breakpoints()})
        return out

    def set_breakpoints(self, by_path: dict[str, list[int]]) -> None:
        self._pending_breakpoints = {}
        for path, lines in by_path.items():
            editor = self.editor_for(path)
            if editor is not None:
                editor.set_breakpoints(lines)
            else:
                self._pending_breakpoints[str(Path(path).resolve())] = list(lines)

    def set_external_diagnostics(self, by_path: Mapping[str, Iterable[Problem]]) -> None:
        self._pending_diagnostics = {}
        for key, editor in self._editors.items():
            editor.set_external_diagnostics(by_path.get(key, []))
        for path, problems in by_path.items():
            key = str(Path(path).resolve())
            if key not in self._editors:
                self._pending_diagnostics[key] = list(problems)

    def set_runtime_errors(self, by_path: Mapping[str, Iterable[Problem]]) -> None:
        """The last invoke's exception per file (empty: none); files opened later get theirs too."""
        self._runtime_errors = {str(Path(p).resolve()): list(v) for p, v in by_path.items()}
        for key, editor in self._editors.items():
            editor.set_runtime_errors(self._runtime_errors.get(key, []))

    def set_theme(self, theme: Theme) -> None:
        self._theme = theme
        for editor in self._editors.values():
            editor.set_theme(theme)

    def set_font_size(self, size: int) -> None:
        self._font_size = size
        for editor in self._editors.values():
            editor.set_font_size(size)
