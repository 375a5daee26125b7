"""The main window's runs: pre-start, invoking with the event on screen, the result, the kept history."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QInputDialog,
)

from app.events.store import EventStore, EventStoreError
from app.history import entry_to_json, history_file, load_history, save_history
from widgets.history_view import HistoryEntry, HistoryView
from widgets.result_view import OUTCOME_TEXT
from widgets.window_layout import (
    runtime_errors_by_file,
)

HISTORY_SAVE_DELAY_MS = 1_000


class RunsMixin:
    """Invokes and their history.

    Mixed into MainWindow, which provides the attributes used here (hence `self: Any`: typing the
    window here would import main_window back).
    """

    # --- pre-start: the selected function's runtime is warm before the first click -----------------
    def schedule_prestart(self: Any) -> None:
        if self.prestart_enabled and self.project is not None and self.settings.get("prestart") is not False:
            self._prestart_timer.start()

    def prestart_now(self: Any) -> bool:
        """Warm the selected function with the selected backend (in the background; see Invoker.prestart)."""
        function_id = self.toolbar.current_function()
        if self.project is None or not function_id or self.invoker.is_running():
            return False
        return self.invoker.prestart(function_id, self.toolbar.backend()) is not None

    def _on_prestart_state(self: Any, function_id: str, state: str) -> None:
        if state == "warming":
            self.prestart_label.setText(f"Warming {function_id}…")
        elif state == "ready":
            self.prestart_label.setText(f"{function_id}: warm")
            self.status.refresh_warm()
        else:
            self.prestart_label.setText(f"{function_id}: not pre-started")
            self.prestart_label.setToolTip(state)

    # --- invoking ---------------------------------------------------------------------------------
    def _event_bytes(self: Any, function_id: str, event_name: str) -> bytes | None:
        """The event to invoke with (the editor's unsaved text when it shows it); None after a message."""
        ee = self.event_editor
        if event_name and ee.function_id() == function_id and ee.current_event() == event_name:
            if not ee.is_valid():
                ee.say("Not invoked: the event is not valid JSON; fix the underlined spot first")
                return None
            return ee.event_bytes()
        if event_name:
            try:
                return (
                    EventStore(self.project.root).load_bytes(function_id, event_name)
                    if self.project
                    else b"{}"
                )
            except EventStoreError as exc:
                self.show_message(str(exc))
                return None
        return b"{}"

    def invoke(self: Any, function_id: str, event_name: str, backend: str) -> bool:
        event = self._event_bytes(function_id, event_name)
        if event is None:
            return False
        self._save_before_run()
        self.log_panel.clear()
        return self.invoker.invoke(function_id, event_name, event, backend) is not None

    def _save_before_run(self: Any) -> None:
        """The runner reads files from disk: save what the user sees — but never a JSON file that is not JSON."""
        for path in self.tabs.dirty_paths():
            editor = self.tabs.editor_for(path)
            if path.endswith(".json") and editor is not None:
                try:
                    json.loads(editor.text() or "null")
                except ValueError:
                    self.show_message(f"Not saved before running: {Path(path).name} is not valid JSON")
                    continue
            self.tabs.save(path)

    def _invoke_with_event(self: Any, function_id: str) -> None:
        self._select_function(function_id)
        names = self.event_editor.event_names() or [""]
        name, ok = QInputDialog.getItem(self, "Invoke with event", "Event:", names, 0, False)
        if ok:
            self.invoke(function_id, name, self.toolbar.backend())

    def _on_invoke_finished(self: Any, entry: HistoryEntry) -> None:
        self.result_view.show_result(entry.result)
        self.tabs.set_runtime_errors(runtime_errors_by_file(entry.result))
        self.history.add_entry(entry)
        self.history_keeper.save_soon()  # written a moment later, off the click → result path
        self.status.refresh_warm()
        # replaces whatever the status bar said before (an old error, "Paused at …" of a debug run)
        metrics = entry.result.metrics
        took = f" in {metrics.duration_ms:.0f} ms" if metrics else ""
        outcome = OUTCOME_TEXT.get(entry.result.outcome, str(entry.result.outcome))
        note = entry.result.note or ""
        said = f" — {note}" if note.startswith("Ran on Python") else ""  # the one note worth a glance
        self.show_message(f"{entry.function_id}: {outcome}{took}{said}")

    def _on_invoke_failed(self: Any, message: str) -> None:
        self.result_view.show_failure(message)
        self.show_message(message)

    def _show_history_entry(self: Any, entry: HistoryEntry) -> None:
        self.result_view.show_result(entry.result)
        self.log_panel.set_lines(entry.log_lines)


class HistoryKeeper:
    """The History panel kept across restarts (per project): read when a project opens, written on the
    pool a moment after each run, and at once as the project closes. A failure to write costs a message."""

    def __init__(self, window: Any, view: HistoryView) -> None:
        self.window = window  # its project, settings, jobs and show_message
        self.view = view
        self.timer = QTimer(window, singleShot=True, interval=HISTORY_SAVE_DELAY_MS)
        self.timer.timeout.connect(self.save)

    def path(self) -> Path | None:
        project = self.window.project
        return history_file(self.window.settings.folder, project.root) if project else None

    def load(self) -> None:
        path = self.path()
        loaded = load_history(path) if path else []
        self.view.set_entries([HistoryEntry(f, e, r, when, lines) for f, e, when, r, lines in loaded])

    def save_soon(self) -> None:
        self.timer.start()

    def flush(self) -> None:
        """Writes now what a pending save would have written (the project is closing)."""
        if self.timer.isActive():
            self.timer.stop()
            self.save(now=True)

    def save(self, *, now: bool = False) -> None:
        """Blocks only with `now`; else the write runs on the pool."""
        path = self.path()
        if path is None:
            return
        entries = [
            entry_to_json(e.function_id, e.event_name, e.when, e.result, e.log_lines)
            for e in self.view.entries()
        ]
        say = self.window.show_message
        if now:
            try:
                save_history(path, entries)
            except OSError as exc:
                say(f"Could not keep the history: {exc}")
            return
        job = self.window.jobs.submit(lambda sink, cancel: save_history(path, entries), "save-history")
        job.failed.connect(lambda message: say(f"Could not keep the history: {message}"))
