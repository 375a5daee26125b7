"""The status bar: messages, caret position, docker engine state and warm runtimes."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from widgets.jobs import JobBridge

EngineProbe = Callable[[], str]
PROBE_INTERVAL_MS = 15_000
FIRST_PROBE_MS = 1_500


def docker_probe() -> str:
    """Blocks (up to ~2 s): 'running' or a short reason the engine cannot be reached."""
    try:
        from runner.container_engine import connect

        client = connect(timeout=2)
        client.close()
        return "running"
    except Exception as exc:
        first = str(exc).split("\n", 1)[0]
        return "not running" if len(first) > 60 else first or "not running"


class StatusBar(QStatusBar):
    """The engine probe runs on the job bridge, never on the GUI thread."""

    def __init__(
        self,
        jobs: JobBridge,
        probe: EngineProbe | None | object = None,
        warm_count: Callable[[], int] = lambda: 0,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._jobs = jobs
        self._probe: EngineProbe = probe if callable(probe) else docker_probe
        self._warm_count = warm_count
        self.cursor_label = QLabel()
        self.engine_label = QLabel("Docker: checking…")
        self.warm_label = QLabel("Warm: 0")
        for label in (self.cursor_label, self.engine_label, self.warm_label):
            self.addPermanentWidget(label)
        self._probing = False
        self._timer = QTimer(self, interval=PROBE_INTERVAL_MS)
        self._timer.timeout.connect(self.probe_engine)
        self._timer.start()
        QTimer.singleShot(FIRST_PROBE_MS, self.probe_engine)  # after start-up: docker's import is slow

    def show_cursor(self, line: int, column: int) -> None:
        self.cursor_label.setText(f"Ln {line}, Col {column}")

    def probe_engine(self) -> None:
        if self._probing:
            return
        self._probing = True
        probe = self._probe
        job = self._jobs.submit(lambda sink, cancel: probe(), "engine-probe")
        job.finished.connect(self._on_probe)
        job.failed.connect(self._on_probe)

    def _on_probe(self, state: object) -> None:
        self._probing = False
        self.engine_label.setText(f"Docker: {state}")
        self.refresh_warm()

    def refresh_warm(self) -> None:
        self.warm_label.setText(f"Warm: {self._warm_count()}")

    def stop(self) -> None:
        self._timer.stop()
