"""The run toolbar: function, event and backend pickers, Invoke (F5), Stop (Shift+F5), progress."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QComboBox, QLabel, QProgressBar, QToolBar, QToolButton, QWidget

from widgets.elided_label import ElidedLabel

BACKEND_CHOICES = (("Auto", "auto"), ("Container", "container"), ("Process", "process"))
NO_EVENT = "(empty event {})"
BUSY_DELAY_MS = 300  # a warm invoke ends sooner: its click leaves the bar's layout (and paint) alone


class RunToolbar(QToolBar):
    """Emits `invoke_requested(function_id, event_name, backend)`; '' as event means an empty event."""

    invoke_requested = Signal(str, str, str)
    stop_requested = Signal()
    function_changed = Signal(str)
    event_changed = Signal(str)
    backend_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Run", parent)
        self.setObjectName("runToolbar")
        self.function_combo = QComboBox(minimumContentsLength=18)
        self.function_combo.setToolTip("Function to invoke")
        self.event_combo = QComboBox(minimumContentsLength=16)
        self.event_combo.setToolTip("Event to invoke it with")
        self.backend_combo = QComboBox()
        for label, value in BACKEND_CHOICES:
            self.backend_combo.addItem(label, value)
        self.backend_combo.setToolTip("Auto: a container when docker runs, else a local process")
        self.invoke_action = QAction("▶ Invoke", self)
        self.invoke_action.setShortcut(QKeySequence("F5"))
        self.invoke_action.setToolTip("Invoke the function with the event (F5)")
        self.stop_action = QAction("■ Stop", self)
        self.stop_action.setShortcut(QKeySequence("Shift+F5"))
        self.stop_action.setToolTip("Stop the running invocation (Shift+F5)")
        self.stop_action.setEnabled(False)
        self._running = False
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(160)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.progress_label = ElidedLabel(min_chars=4)
        self.progress_label.setMaximumWidth(320)  # the whole text is its tooltip
        self._busy_text = ""
        self._busy_timer = QTimer(self, singleShot=True, interval=BUSY_DELAY_MS)
        self._busy_timer.timeout.connect(self._show_busy)
        self.addWidget(QLabel(" Function "))
        self.addWidget(self.function_combo)
        self.addWidget(QLabel(" Event "))
        self.addWidget(self.event_combo)
        self.addWidget(QLabel(" Backend "))
        self.addWidget(self.backend_combo)
        self.addSeparator()
        self.invoke_button = self._button(self.invoke_action)
        self.stop_button = self._button(self.stop_action)
        self.addWidget(self.progress)
        self.addWidget(self.progress_label)
        self.invoke_action.triggered.connect(self._on_invoke)
        self.stop_action.triggered.connect(self.stop_requested.emit)
        self.function_combo.currentIndexChanged.connect(
            lambda _i: self.function_changed.emit(self.function_combo.currentData() or "")
        )
        self.event_combo.currentIndexChanged.connect(lambda _i: self.event_changed.emit(self.current_event()))
        self.backend_combo.currentIndexChanged.connect(lambda _i: self.backend_changed.emit(self.backend()))
        self._update_invoke_enabled()

    def _button(self, action: QAction) -> QToolButton:
        """A tool button that triggers the action and mirrors only its enabled state. Not the toolbar's
        own button for the action: QToolBar lays itself out again, and the main window with it, whenever
        one of its actions changes, and Invoke and Stop change twice per click (two main-window
        relayouts on the click → result path). The actions' shortcuts live in the Run menu."""
        button = QToolButton(self)
        button.setText(action.text())
        button.setToolTip(action.toolTip())
        button.setAutoRaise(True)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        button.setToolButtonStyle(self.toolButtonStyle())
        button.setEnabled(action.isEnabled())
        button.clicked.connect(action.trigger)
        action.enabledChanged.connect(button.setEnabled)
        self.addWidget(button)
        return button

    # --- contents ---------------------------------------------------------------------------------
    def set_functions(self, functions: list[tuple[str, str]]) -> None:
        """(function id, label) pairs; keeps the selection when it still exists."""
        keep = self.current_function()
        self.function_combo.blockSignals(True)
        self.function_combo.clear()
        for function_id, label in functions:
            self.function_combo.addItem(label, function_id)
        self.function_combo.blockSignals(False)
        if keep:
            self.select_function(keep)
        self._update_invoke_enabled()
        self.function_changed.emit(self.current_function())

    def set_events(self, names: list[str], select: str | None = None) -> None:
        keep = select if select is not None else self.current_event()
        self.event_combo.blockSignals(True)
        self.event_combo.clear()
        self.event_combo.addItem(NO_EVENT, "")
        for name in names:
            self.event_combo.addItem(name, name)
        index = self.event_combo.findData(keep) if keep else -1
        self.event_combo.setCurrentIndex(index if index >= 0 else (1 if names else 0))
        self.event_combo.blockSignals(False)

    def current_function(self) -> str:
        return str(self.function_combo.currentData() or "")

    def current_event(self) -> str:
        return str(self.event_combo.currentData() or "")

    def backend(self) -> str:
        return str(self.backend_combo.currentData() or "auto")

    def select_function(self, function_id: str) -> None:
        index = self.function_combo.findData(function_id)
        if index >= 0 and index != self.function_combo.currentIndex():
            self.function_combo.setCurrentIndex(index)

    def select_event(self, name: str) -> None:
        index = self.event_combo.findData(name)
        if index >= 0:
            self.event_combo.setCurrentIndex(index)

    def set_backend(self, backend: str) -> None:
        index = self.backend_combo.findData(backend)
        if index >= 0:
            self.backend_combo.setCurrentIndex(index)

    # --- state ------------------------------------------------------------------------------------
    def set_running(self, running: bool, text: str = "") -> None:
        """Invoke and Stop follow at once; the busy bar and `text` show once the run has lasted
        BUSY_DELAY_MS (or a slow step reports progress), so a fast click changes no layout."""
        self._running = running
        self._update_invoke_enabled()
        self.stop_action.setEnabled(running)
        self._busy_text = text
        if running:
            self.progress.setRange(0, 0)  # busy until a fraction is known
            self._busy_timer.start()
        else:
            self._busy_timer.stop()
            self.progress.setVisible(False)
            self.progress_label.setText("")

    def _show_busy(self) -> None:
        if self._running:
            self.progress.setVisible(True)
            self.progress_label.setText(self._busy_text)

    def set_progress(self, text: str, fraction: float | None = None) -> None:
        if fraction is None:
            self.progress.setRange(0, 0)
        else:
            self.progress.setRange(0, 100)
            self.progress.setValue(int(fraction * 100))
        self._busy_text = text
        if self._running:  # a slow step says what it does at once
            self._busy_timer.stop()
            self.progress.setVisible(True)
        self.progress_label.setText(text)

    def _update_invoke_enabled(self) -> None:
        """Invoke is offered only when there is a function to invoke and nothing runs."""
        self.invoke_action.setEnabled(not self._running and self.function_combo.count() > 0)

    def _on_invoke(self) -> None:
        function_id = self.current_function()
        if function_id:
            self.invoke_requested.emit(function_id, self.current_event(), self.backend())
