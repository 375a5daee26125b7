"""The debugger's Qt side as one unit: controller, toolbar and panels, and the wiring among them.

The main window docks the panels and links the workbench to the editor, log panel and result view;
everything between the debugger and its own panels is connected here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QInputDialog, QMenu, QWidget

from app.project.model import Project
from runner.debug.dap import Breakpoint
from runner.debug.session import StopInfo
from widgets.debug_controller import DebugBackendFactory, Debugger
from widgets.debug_panels import CallStackPanel, DebugConsole, VariablesPanel
from widgets.debug_toolbar import DebugToolbar
from widgets.jobs import JobBridge


class DebugWorkbench(QObject):
    """Owns the Debugger, the DebugToolbar and the call stack, variables and console panels."""

    execution_line = Signal(str, int)  # open this file at this line and mark it; ("", 0) clears the marks
    logpoints_changed = Signal()  # a breakpoint became a logpoint or stopped being one
    message = Signal(str)

    def __init__(
        self,
        jobs: JobBridge,
        parent: QObject | None = None,
        *,
        breakpoints: Callable[[], Mapping[str, list[int]]],
        invoke_action: QAction | None = None,
        backend_factory: DebugBackendFactory | None = None,
        backend_options: Callable[[], Mapping[str, Any]] = dict,
        region: Callable[[], str | None] = lambda: None,
        project: Callable[[], Project | None] = lambda: None,
    ) -> None:
        super().__init__(parent)
        self._breakpoints = breakpoints
        self.debugger = Debugger(
            jobs,
            self,
            backend_factory=backend_factory,
            backend_options=backend_options,
            region=region,
            project=project,
        )
        self.toolbar = DebugToolbar(invoke_action=invoke_action)
        self.call_stack = CallStackPanel()
        self.variables = VariablesPanel()
        self.console = DebugConsole()
        self.frame_id: int | None = None
        # Conditions and log messages by (path, line); the editor holds the plain markers.
        self.details: dict[tuple[str, int], Breakpoint] = {}
        self.ask_text: Callable[[str, str, str], str | None] = self._ask_text
        d, tb = self.debugger, self.toolbar
        tb.continue_action.triggered.connect(d.continue_)
        tb.step_over_action.triggered.connect(d.step_over)
        tb.step_in_action.triggered.connect(d.step_in)
        tb.step_out_action.triggered.connect(d.step_out)
        tb.stop_action.triggered.connect(d.stop)
        d.running_changed.connect(lambda running: tb.set_state(running=running, stopped=d.is_stopped()))
        d.message.connect(self.message.emit)
        d.attached.connect(lambda port: self.message.emit(f"Debugger attached (debugpy on 127.0.0.1:{port})"))
        d.stopped.connect(self._on_stopped)
        d.resumed.connect(self._on_resumed)
        d.output.connect(self.console.append_output)
        d.scopes_ready.connect(lambda _frame, scopes: self.variables.show_scopes(scopes))
        d.variables_ready.connect(self.variables.add_variables)
        d.evaluated.connect(self.console.show_evaluation)
        self.variables.variables_requested.connect(d.load_variables)
        self.call_stack.frame_selected.connect(self._on_frame)
        self.console.evaluate_requested.connect(
            lambda text, context: d.evaluate(text, self.frame_id, context)
        )

    def editor_breakpoints(self) -> dict[str, list[Breakpoint]]:
        """The editor's breakpoints with their conditions and log messages (stale details dropped)."""
        marked = {str(path): list(lines) for path, lines in self._breakpoints().items()}
        live = {(path, line) for path, lines in marked.items() for line in lines}
        self.details = {key: bp for key, bp in self.details.items() if key in live}
        return {
            path: [self.details.get((path, line), Breakpoint(line)) for line in lines]
            for path, lines in marked.items()
        }

    # --- the gutter's breakpoint menu: conditional breakpoints and logpoints ----------------------
    def breakpoint_menu(
        self, path: str, line: int, has_breakpoint: bool, set_marker: Callable[[bool], None]
    ) -> QMenu:
        """The menu for a right-click in the editor's gutter; ``set_marker(on)`` adds or removes the marker."""
        menu = QMenu()
        bp = self.details.get((path, line)) if has_breakpoint else None
        cond = "Edit Condition…" if bp is not None and bp.condition else "Conditional Breakpoint…"
        log = "Edit Log Message…" if bp is not None and bp.log_message else "Logpoint…"
        menu.addAction(cond, lambda: self._edit(path, line, "condition", set_marker))
        menu.addAction(log, lambda: self._edit(path, line, "log_message", set_marker))
        if has_breakpoint:
            menu.addAction("Remove Breakpoint", lambda: set_marker(False))
        else:
            menu.addAction("Add Breakpoint", lambda: set_marker(True))
        return menu

    def _edit(self, path: str, line: int, field: str, set_marker: Callable[[bool], None]) -> None:
        bp = self.details.get((path, line), Breakpoint(line))
        if field == "condition":
            text = self.ask_text(
                "Conditional breakpoint", f"Stop at line {line} when (Python):", bp.condition or ""
            )
        else:
            label = f"Log at line {line} without stopping ({{expression}} is replaced):"
            text = self.ask_text("Logpoint", label, bp.log_message or "")
        if text is None:
            return
        values = {"condition": bp.condition, "log_message": bp.log_message, field: text.strip() or None}
        self.details[(path, line)] = Breakpoint(line, values["condition"], values["log_message"])
        set_marker(True)  # the editor's breakpoints_changed sends them on to a running session
        self.breakpoints_changed()
        self.logpoints_changed.emit()

    def logpoint_lines(self, path: str) -> list[int]:
        return sorted(line for (p, line), bp in self.details.items() if p == path and bp.log_message)

    def _ask_text(self, title: str, label: str, text: str) -> str | None:
        parent = self.parent()
        value, ok = QInputDialog.getText(
            parent if isinstance(parent, QWidget) else None, title, label, text=text
        )
        return value if ok else None

    def start(self, function_id: str, event_name: str, event: bytes, backend: str) -> bool:
        """A debug invoke stopping at the editor's breakpoints; False (with a message) when it cannot start."""
        return (
            self.debugger.start(function_id, event_name, event, backend, self.editor_breakpoints())
            is not None
        )

    def breakpoints_changed(self) -> None:
        """The editor's breakpoints changed: a running session gets them at once."""
        self.debugger.update_breakpoints(self.editor_breakpoints())

    def _on_stopped(self, stop: StopInfo) -> None:
        self.toolbar.set_state(running=True, stopped=True)
        self.call_stack.show_stop(stop)  # selects the innermost frame: editor, variables, watches follow
        where = f"{Path(stop.path).name}:{stop.line}" if stop.path else f"line {stop.line}"
        self.message.emit(f"Paused ({stop.reason}) at {where}")

    def _on_frame(self, frame_id: int, path: str, line: int) -> None:
        self.frame_id = frame_id
        self.execution_line.emit(path, line)
        self.debugger.load_scopes(frame_id)
        self.console.refresh_watches()  # the watches are evaluated in the frame on screen

    def _on_resumed(self) -> None:
        self.toolbar.set_state(running=self.debugger.is_running(), stopped=False)
        self.execution_line.emit("", 0)
        self.call_stack.clear_stack()
        self.variables.clear_variables()
        self.frame_id = None

    def shutdown(self) -> None:
        """Blocks briefly: ends a running debug invoke (window close, test teardown)."""
        self.debugger.shutdown()
