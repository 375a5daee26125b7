"""The debug toolbar: Debug invoke, Continue, Step Over/Into/Out and Stop, enabled by the session's state."""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QToolBar, QWidget


class DebugToolbar(QToolBar):
    """Actions only; the main window connects them. F5 continues while stopped (it invokes otherwise)."""

    def __init__(self, parent: QWidget | None = None, *, invoke_action: QAction | None = None) -> None:
        super().__init__("Debug", parent)
        self.setObjectName("debugToolbar")
        self._invoke_action = invoke_action  # shares its key (F5): Invoke when idle, Continue when stopped
        self._invoke_keys = invoke_action.shortcut() if invoke_action is not None else QKeySequence("F5")
        self.debug_action = self._action(
            "▷ Debug", "Ctrl+F5", "Invoke under the debugger, stopping at breakpoints"
        )
        self.continue_action = self._action("» Continue", None, "Continue to the next breakpoint (F5)")
        self.step_over_action = self._action("↷ Step Over", "F10", "Run the current line (F10)")
        self.step_in_action = self._action("↓ Step Into", "F11", "Step into the call on this line (F11)")
        self.step_out_action = self._action("↑ Step Out", "Shift+F11", "Run to the caller (Shift+F11)")
        self.stop_action = self._action("■ Stop Debugging", None, "End the debug invoke")
        self.set_state(running=False, stopped=False)

    def _action(self, text: str, keys: str | None, tip: str) -> QAction:
        action = QAction(text, self)
        if keys:
            action.setShortcut(QKeySequence(keys))
            tip = f"{tip} ({keys})" if keys not in tip else tip
        action.setToolTip(tip)
        self.addAction(action)
        return action

    def set_state(self, *, running: bool, stopped: bool) -> None:
        self.debug_action.setEnabled(not running)
        for action in (
            self.continue_action,
            self.step_over_action,
            self.step_in_action,
            self.step_out_action,
        ):
            action.setEnabled(stopped)
        self.stop_action.setEnabled(running)
        # One QAction per key: two enabled actions on F5 would make the key ambiguous (neither fires).
        self.continue_action.setShortcut(self._invoke_keys if stopped else QKeySequence())
        if self._invoke_action is not None:
            self._invoke_action.setShortcut(QKeySequence() if stopped else self._invoke_keys)
