"""The main window's projects: open, reload and close, per-project state, crash recovery, the old trash."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QMessageBox,
)

from app.events.old_trash import move_old_trash
from app.events.store import EventStore
from app.project.loader import ProjectLoadError, load_project
from app.project.model import Project
from widgets.editor_tabs import CANCEL, SAVE
from widgets.window_layout import (
    events_by_function,
)


def _move_old_trash(root: Path) -> str:
    """Moves a project's old in-project trash to the per-user one (once); what to add to the status."""
    moved = move_old_trash(root)
    note = f" — moved {_count(moved.moved, 'deleted event')} to your trash" if moved.moved else ""
    if moved.failed:
        note += f" — could not move {len(moved.failed)} from .lambda-studio/trash: {moved.failed[0]}"
    return note


def _count(n: int, noun: str) -> str:
    """'1 function', '2 functions', '0 problems'."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


class ProjectsMixin:
    """Opening and closing projects.

    Mixed into MainWindow, which provides the attributes used here (hence `self: Any`: typing the
    window here would import main_window back).
    """

    project: Project | None  # set by MainWindow

    # --- projects ---------------------------------------------------------------------------------
    def open_project(self: Any, path: str | Path) -> bool:
        if self.project is not None and not self.close_project():
            return False
        try:
            project = load_project(path)
        except ProjectLoadError as exc:
            self.show_message(f"Cannot open {path}: {exc}")
            QMessageBox.warning(self, "Open project", f"{exc}\n\nPick a folder holding template.yaml.")
            return False
        self.project = project
        trash_note = _move_old_trash(project.root)
        store = EventStore(project.root)
        events = events_by_function(project, store)
        self.tree.set_project(project, events)
        self.event_editor.set_store(store)
        self.invoker.set_project(project)
        self._local_api_project(project)
        self.toolbar.set_functions([(f.logical_id, f.logical_id) for f in project.functions])
        self.template_lint.set_project(project)  # project diagnostics + cfn-lint (widgets/stack_lint.py)
        self.settings.add_recent_project(project.root)
        self.setWindowTitle(f"{project.root.name} — Lambda Studio")
        self._restore_project_state()
        self.history_keeper.load()
        self._offer_recovery()
        self.schedule_prestart()
        problems = len(project.all_diagnostics)
        self.show_message(
            f"Opened {project.root} — {_count(len(project.functions), 'function')}, {_count(problems, 'problem')}"
            + trash_note
        )
        return True

    def reload_project(self: Any) -> bool:
        """Re-read the template (after it was saved): tree, pickers and diagnostics follow; tabs stay."""
        if self.project is None:
            return False
        try:
            project = load_project(self.project.root)
        except ProjectLoadError as exc:
            self.show_message(f"Cannot reload the project: {exc}")
            return False
        self.project = project
        self.tree.set_project(project, events_by_function(project, EventStore(project.root)))
        self.invoker.update_project(project)
        self._local_api_project(project, reloaded=True)
        self.toolbar.set_functions([(f.logical_id, f.logical_id) for f in project.functions])
        self.template_lint.set_project(project)  # project diagnostics + cfn-lint (widgets/stack_lint.py)
        self.show_message(
            f"Reloaded the project: {_count(len(project.functions), 'function')}, "
            f"{_count(len(project.all_diagnostics), 'problem')}"
        )
        return True

    def _on_file_saved(self: Any, path: str) -> None:
        project = self.project
        if project is None:
            return
        watched = {str(t.resolve()) for t in project.templates} | {str(project.root / "samconfig.toml")}
        if path in watched:
            self.reload_project()

    def close_project(self: Any) -> bool:
        """Asks about unsaved edits; False when the user cancels."""
        if self.project is None:
            return True
        if not self._confirm_event_edits():
            return False
        state = self._project_state()
        if not self.tabs.close_all(ask=True):
            return False
        self.settings.set_project_state(self.project.root, state)
        self.history_keeper.flush()
        self.backups.clear(self.project.root)
        self.invoker.set_project(None)
        self._local_api_project(None)
        self.local_cloud.stop()  # issue 15: the local cloud runs the closed project's application
        self.tree.set_project(None)
        self.event_editor.set_store(None)
        self.toolbar.set_functions([])
        self.toolbar.set_events([])
        self.log_panel.clear()  # nothing of this project's runs stays on screen for the next one
        self.history.set_entries([])
        self.tabs.set_runtime_errors({})
        self.result_view.clear()
        self.status.clearMessage()
        self.status.refresh_warm()
        self.prestart_label.setText("")
        self.project = None
        self.setWindowTitle("Lambda Studio")
        return True

    def _confirm_event_edits(self: Any) -> bool:
        ee = self.event_editor
        if not ee.is_dirty() or not ee.current_event():
            return True
        answer = self.tabs.ask_unsaved([f"event {ee.function_id()}/{ee.current_event()}"])
        return answer != CANCEL and (answer != SAVE or ee.save())

    def _project_state(self: Any) -> dict[str, object]:
        return {
            "open_tabs": self.tabs.open_paths(),
            "current_tab": self.tabs.current_path(),
            "breakpoints": self.tabs.breakpoints(),
            "function": self.toolbar.current_function(),
            "event": self.toolbar.current_event(),
        }

    def _restore_project_state(self: Any) -> None:
        assert self.project is not None
        state = self.settings.project_state(self.project.root)
        self.tabs.set_breakpoints({p: list(v) for p, v in (state.get("breakpoints") or {}).items()})
        for path in state.get("open_tabs") or []:
            if Path(path).is_file():
                self.tabs.open_file(path)
        if state.get("current_tab") and Path(state["current_tab"]).is_file():
            self.tabs.open_file(state["current_tab"])
        function = state.get("function") or (
            self.project.functions[0].logical_id if self.project.functions else ""
        )
        if function:
            self._select_function(function)
            if state.get("event"):
                self._select_event(function, state["event"])

    def _offer_recovery(self: Any) -> None:
        assert self.project is not None
        buffers = self.backups.load(self.project.root)
        if buffers and self.ask_recover(sorted(buffers)):
            events_dir = (self.project.root / "events").resolve()
            for path, text in buffers.items():
                target = Path(path).resolve()
                rel = target.relative_to(events_dir).parts if target.is_relative_to(events_dir) else ()
                # a saved event goes back into the Event editor, not into a code tab
                is_event = len(rel) == 2 and target.suffix == ".json"
                if is_event and self.event_editor.load_unsaved(rel[0], target.stem, text):
                    self._select_function(rel[0])
                    continue
                self.tabs.restore_buffer(path, text)
            self.show_message(f"Recovered {len(buffers)} unsaved file(s)")
        self.backups.clear(self.project.root)

    def _ask_recover(self: Any, paths: list[str]) -> bool:
        names = "\n".join(paths)
        answer = QMessageBox.question(
            self,
            "Recover unsaved changes",
            f"Lambda Studio closed with unsaved edits in:\n\n{names}\n\nRestore them?",
        )
        return answer == QMessageBox.StandardButton.Yes

    def backup_now(self: Any) -> None:
        if self.project is not None:
            buffers = self.tabs.unsaved_buffers()
            event = self.event_editor.unsaved_buffer()
            if event is not None:
                buffers.setdefault(*event)  # an open tab of the same file already holds its text
            self.backups.save(self.project.root, buffers)
