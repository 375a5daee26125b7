"""The main window's debugging part: docks the debugger's panels, links them to the editor, runs debug invokes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QDockWidget

from widgets.debug_workbench import DebugWorkbench

DEBUG_DOCKS = ("callStackDock", "variablesDock", "debugConsoleDock")


class DebuggingMixin:
    """Mixed into MainWindow, which provides the attributes used here (hence `self: Any`: typing the
    window here would import main_window back)."""

    # set by MainWindow
    debug: DebugWorkbench

    # --- debugging: the workbench owns the debugger's widgets; the window docks and links them ------
    def _build_debugger(self: Any) -> None:
        wb = self.debug = DebugWorkbench(
            self.jobs,
            self,
            breakpoints=self.tabs.breakpoints,
            invoke_action=self.toolbar.invoke_action,
            backend_options=self._backend_options,
            region=self._region,
            project=lambda: self.project,
        )
        self.addToolBar(wb.toolbar)
        previous: QDockWidget | None = None
        for title, widget, name in (
            ("Call Stack", wb.call_stack, "callStackDock"),
            ("Variables", wb.variables, "variablesDock"),
            ("Watch / Console", wb.console, "debugConsoleDock"),
        ):
            dock = self.add_dock(name, title, widget, Qt.DockWidgetArea.BottomDockWidgetArea)
            if previous is not None:
                self.splitDockWidget(previous, dock, Qt.Orientation.Horizontal)
            dock.hide()  # shown by the first debug invoke
            previous = dock
        # the debug actions in the Run menu too: their keys work with the toolbar hidden
        tb = wb.toolbar
        named = {
            "debug": tb.debug_action,
            "continue": tb.continue_action,
            "step_over": tb.step_over_action,
            "step_in": tb.step_in_action,
            "step_out": tb.step_out_action,
            "stop_debugging": tb.stop_action,
        }
        self.menus.add_run_actions(list(named.values()), list(named))
        d = wb.debugger
        wb.toolbar.debug_action.triggered.connect(self.debug_invoke)
        self.toolbar.stop_requested.connect(
            d.stop
        )  # the run toolbar's Stop (Shift+F5) ends a debug invoke too
        wb.message.connect(self.show_message)
        wb.execution_line.connect(self._show_execution_line)
        d.resumed.connect(lambda: self.status.clearMessage())  # "Paused at …" is over
        d.running_changed.connect(lambda running: self.toolbar.set_running(running, "debugging…"))
        d.running_changed.connect(lambda running: running or self._hide_debug_docks())
        d.started.connect(self.result_view.show_running)
        d.log_lines.connect(self.log_panel.append_log_lines)
        d.finished.connect(self._on_invoke_finished)
        d.failed.connect(self._on_invoke_failed)
        self.tabs.breakpoints_changed.connect(wb.breakpoints_changed)
        self.tabs.breakpoint_menu_requested.connect(self._breakpoint_menu)
        wb.logpoints_changed.connect(self._show_logpoints)
        self.tabs.current_file_changed.connect(lambda _path: self._show_logpoints())

    def _breakpoint_menu(self: Any, path: str, line: int, pos: QPoint) -> None:
        editor = self.tabs.editor_for(path)
        if editor is None:
            return

        def set_marker(on: bool) -> None:
            if (line in editor.breakpoints()) != on:
                editor.toggle_breakpoint(line)

        self.breakpoint_menu = self.debug.breakpoint_menu(
            path, line, line in editor.breakpoints(), set_marker
        )
        self.breakpoint_menu.popup(pos)  # not exec(): no nested event loop

    def debug_invoke(self: Any) -> bool:
        """Ctrl+F5: the selected function and event under the debugger, stopping at the editor's breakpoints."""
        function_id, event_name = self.toolbar.current_function(), self.toolbar.current_event()
        if self.invoker.is_running():
            self.show_message("An invocation is running; stop it first (Shift+F5)")
            return False
        event = self._event_bytes(function_id, event_name) if function_id else None
        if event is None:
            return False
        self._save_before_run()
        self.log_panel.clear()
        docks = [self.docks[name] for name in ("callStackDock", "variablesDock", "debugConsoleDock")]
        if not any(dock.isVisible() for dock in docks):  # first shown: the variables get the most room
            for dock in docks:
                dock.show()
            width = self.width()
            self.resizeDocks(
                docks, [width * 3 // 10, width * 4 // 10, width * 3 // 10], Qt.Orientation.Horizontal
            )
        return self.debug.start(function_id, event_name, event, self.toolbar.backend())

    def _show_logpoints(self: Any) -> None:
        for path in self.tabs.open_paths():
            editor = self.tabs.editor_for(path)
            if editor is not None:
                editor.set_logpoints(self.debug.logpoint_lines(path))

    def _hide_debug_docks(self: Any) -> None:
        """Debugging ended: its panels go (the next debug invoke shows them again)."""
        for name in DEBUG_DOCKS:
            self.docks[name].hide()

    def _show_execution_line(self: Any, path: str, line: int) -> None:
        """The debugger stopped at path:line (open it, mark the line), or resumed ("": clear the marks)."""
        for open_path in self.tabs.open_paths():
            editor = self.tabs.editor_for(open_path)
            if editor is not None:
                editor.show_execution_line(None)
        if path and Path(path).is_file():
            editor = self.tabs.open_file(path, line)
            if editor is not None:
                editor.show_execution_line(line)
                self.activateWindow()

    def _debug_from_tree(self: Any, function_id: str, event_name: str) -> None:
        self._select_function(function_id)
        if event_name:
            self._select_event(function_id, event_name)
        self.debug_invoke()
