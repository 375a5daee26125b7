"""The status bar: messages (also those posted to app.messages from any thread), caret position,
docker engine state and warm runtimes."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QTimer, Signal, Slot
from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from app import messages
from widgets.jobs import JobBridge

EngineProbe = Callable[[], str]
PROBE_INTERVAL_MS = 15_000
MESSAGE_MS = {messages.Level.INFO: 5_000, messages.Level.WARNING: 15_000, messages.Level.ERROR: 30_000}
FIRST_PROBE_MS = 1_500


def docker_probe() -> str:
    """Blocks (up to ~2 s): 'running' or a short reason the engine cannot be reached."""
    try:
        from runner.backends.container.engine import connect

        client = connect(timeout=2)
        client.close()
        return "running"
    except Exception as exc:
        first = str(exc).split("\n", 1)[0]
        return "not running" if len(first) > 60 else first or "not running"


class StatusBar(QStatusBar):
    """The engine probe runs on the job bridge, never on the GUI thread. It listens to the message
    queue (app.messages) from its creation on, and shows what was posted before it existed too."""

    _posted = Signal(object)  # an app.messages.Message, from whichever thread posted it (queued)

    def __init__(
        self,
        jobs: JobBridge,
        probe: EngineProbe | None | object = None,
        warm_count: Callable[[], int] = lambda: 0,
        parent: QWidget | None = None,
        *,
        queue: messages.MessageQueue | None = None,
    ) -> None:
        super().__init__(parent)
        self.shown: list[messages.Message] = []  # what the queue delivered, newest last
        self._posted.connect(self._show_posted)
        posted = self._posted

        def forward(message: messages.Message) -> None:  # any thread
            try:
                posted.emit(message)
            except RuntimeError:  # the bar was deleted between the post and the emit
                pass

        stop_listening = (queue or messages.QUEUE).listen(forward)
        self.destroyed.connect(lambda *_: stop_listening())
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

    @Slot(object)
    def _show_posted(self, message: messages.Message) -> None:
        self.shown.append(message)
        del self.shown[:-50]
        text = f"{message.text} — {message.hint}" if message.hint else message.text
        prefix = {messages.Level.ERROR: "⚠ ", messages.Level.WARNING: "⚠ "}.get(message.level, "")
        self.showMessage(prefix + text, MESSAGE_MS[message.level])

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
