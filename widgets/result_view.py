"""The result of one invocation: outcome badge, payload (pretty or raw), error frames as links, REPORT numbers."""

from __future__ import annotations

import html
import json
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QFontDatabase, QTextOption
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from runner.result import InvokeResult, Outcome
from widgets.elided_label import ElidedLabel
from widgets.themes import LIGHT, Theme

OUTCOME_TEXT = {
    Outcome.SUCCESS: "Success",
    Outcome.FUNCTION_ERROR: "Function error",
    Outcome.TIMEOUT: "Timed out",
    Outcome.INIT_ERROR: "Init error",
    Outcome.CRASH: "Crashed",
    Outcome.THROTTLED: "Throttled",
    Outcome.CANCELLED: "Cancelled",
}
RUNNING_DELAY_MS = 150  # a warm invoke's result replaces the last one directly: no "Running…" flash
METRIC_ROWS = ("Duration", "Billed Duration", "Init Duration", "Max Memory Used", "Memory Size", "Request id")


METRIC_HINT = "00000000-0000-0000-0000-000000000000"  # the widest metric: a request id


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f} ms"


class ResultView(QWidget):
    """Call `show_result(result)`; clicking a stack frame emits `open_file_requested(path, line)`."""

    open_file_requested = Signal(str, int)

    def __init__(self, parent: QWidget | None = None, *, theme: Theme = LIGHT) -> None:
        super().__init__(parent)
        self._theme = theme
        self._result: InvokeResult | None = None
        self._running: tuple[str, str] | None = None
        self._running_timer = QTimer(self, singleShot=True, interval=RUNNING_DELAY_MS)
        self._running_timer.timeout.connect(self._show_running_now)
        self.badge = QLabel("No invocation yet")
        self.badge.setObjectName("outcomeBadge")
        self.detail = ElidedLabel(mode=Qt.TextElideMode.ElideRight)  # never widens the window
        self.pretty_box = QCheckBox("Pretty JSON")
        self.pretty_box.setChecked(True)
        self.pretty_box.toggled.connect(self._render_payload)
        self.payload = QPlainTextEdit(readOnly=True)
        self.payload.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.payload.setPlaceholderText("The function's response appears here.")
        self.error_view = QTextBrowser()
        self.error_view.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        self.error_view.setOpenLinks(False)
        self.error_view.anchorClicked.connect(self._on_anchor)
        self.error_box = QGroupBox("Error")
        QVBoxLayout(self.error_box).addWidget(self.error_view)
        self.error_box.hide()
        self.metric_labels: dict[str, QLabel] = {}
        metrics = QFormLayout()
        metrics.setContentsMargins(0, 0, 0, 0)
        for name in METRIC_ROWS:
            # a new duration or request id on every invoke only repaints (its context menu copies it)
            label = ElidedLabel("—", hint_text=METRIC_HINT)
            self.metric_labels[name] = label
            metrics.addRow(f"{name}:", label)
        top = QHBoxLayout()
        top.addWidget(self.badge)
        top.addWidget(self.detail, 1)
        top.addWidget(self.pretty_box)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addLayout(metrics)
        layout.addWidget(self.payload, 2)
        layout.addWidget(self.error_box, 1)
        self._style_badge(None)

    # --- intention API ----------------------------------------------------------------------------
    def show_running(self, function_id: str, event_name: str) -> None:
        """An invoke started: "Running…" shows once it has lasted RUNNING_DELAY_MS; a result (or a
        failure) that comes sooner replaces the last one directly, with one relayout and one paint."""
        self._running = (function_id, event_name)
        self._running_timer.start()

    def is_running(self) -> bool:
        """An invoke started and nothing has come back yet (whether or not "Running…" shows already)."""
        return self._running is not None

    def _stop_running(self) -> None:
        self._running = None
        self._running_timer.stop()

    def _show_running_now(self) -> None:
        if self._running is None:
            return
        function_id, event_name = self._running
        self._result = None
        self.badge.setText("Running…")
        self.detail.setText(f"{function_id} with {event_name or 'an empty event'}")
        self._style_badge("running")
        self.payload.clear()
        self.payload.show()
        self.pretty_box.show()
        self.error_box.hide()
        for label in self.metric_labels.values():
            label.setText("—")

    def clear(self) -> None:
        """Nothing shown: another project was opened, or none is."""
        self._stop_running()
        self._result = None
        self.badge.setText("No invocation yet")
        self.detail.setText("")
        self._style_badge(None)
        self.payload.clear()
        self.payload.show()
        self.pretty_box.show()
        self.error_box.hide()
        for label in self.metric_labels.values():
            label.setText("—")

    def show_failure(self, message: str) -> None:
        """The invoke itself could not run (docker down, bad config): say what happened."""
        self._stop_running()
        self._result = None
        self.badge.setText("Could not invoke")
        self.detail.setText(message.splitlines()[0] if message else "")
        self._style_badge(Outcome.CRASH)
        self.payload.clear()
        for label in self.metric_labels.values():
            label.setText("—")
        self.payload.hide()  # the message gets the room: nothing came back
        self.pretty_box.hide()
        self.error_box.setTitle("Could not invoke")
        self.error_view.setPlainText(message)  # all of it, wrapped: an image name has no spaces to break at
        self.error_box.show()

    def show_result(self, result: InvokeResult) -> None:
        self._stop_running()
        self._result = result
        self.payload.show()
        self.pretty_box.show()
        self.badge.setText(OUTCOME_TEXT.get(result.outcome, str(result.outcome)))
        self._style_badge(result.outcome)
        bits = [result.function_id]
        if result.backend:
            bits.append(f"{result.backend} backend")
        if result.cold_start:
            bits.append("cold start")
        if result.note:
            bits.append(result.note)
        self.detail.setText(" · ".join(bits))
        m = result.metrics
        values = {
            "Duration": _ms(m.duration_ms) if m else "—",
            "Billed Duration": f"{m.billed_duration_ms} ms" if m else "—",
            "Init Duration": _ms(m.init_duration_ms) if m and m.init_duration_ms is not None else "—",
            "Max Memory Used": f"{m.max_memory_used_mb} MB"
            if m and m.max_memory_used_mb is not None
            else "—",
            "Memory Size": f"{m.memory_size_mb} MB" if m else "—",
            "Request id": result.request_id or "—",
        }
        for name, value in values.items():
            self.metric_labels[name].setText(value)
        self._render_payload()
        self._render_error()

    def result(self) -> InvokeResult | None:
        return self._result

    def payload_text(self) -> str:
        return self.payload.toPlainText()

    def set_theme(self, theme: Theme) -> None:
        self._theme = theme
        self._style_badge(self._result.outcome if self._result else None)

    # --- rendering --------------------------------------------------------------------------------
    def _style_badge(self, outcome: Outcome | str | None) -> None:
        t = self._theme
        colour = {Outcome.SUCCESS: t.success, "running": t.info, None: t.margin_fore}.get(outcome, t.error)
        if getattr(self, "_badge_colour", None) == colour:
            return  # restyling costs a style sheet parse and a relayout on every invoke
        self._badge_colour = colour
        self.badge.setStyleSheet(
            f"QLabel#outcomeBadge {{ background: {colour}; color: white; border-radius: 8px;"
            " padding: 3px 10px; font-weight: bold; }"
        )

    def _render_payload(self) -> None:
        result = self._result
        if result is None:
            return
        raw = result.payload.decode("utf-8", "replace")
        text = raw
        if self.pretty_box.isChecked():
            try:
                data = result.payload_json()
                text = json.dumps(data, indent=2, ensure_ascii=False)
            except (ValueError, UnicodeDecodeError):
                data, text = None, raw
            body = data.get("body") if isinstance(data, dict) else None
            if isinstance(body, str) and body[:1] in "{[":
                try:  # an API Gateway response: show its JSON body readably too
                    text += "\n\nbody, decoded:\n" + json.dumps(
                        json.loads(body), indent=2, ensure_ascii=False
                    )
                except ValueError:
                    pass
        self.payload.setPlainText(text)

    def _render_error(self) -> None:
        error = self._result.error if self._result else None
        if error is None:
            self.error_box.hide()
            return
        self.error_box.setTitle("Error")
        parts = [f"<p><b>{html.escape(error.type)}</b>: {html.escape(error.message)}</p><ol>"]
        for frame in error.frames:
            path = frame.local_path or (Path(frame.file) if Path(frame.file).is_file() else None)
            where = f"{html.escape(Path(frame.file).name)}:{frame.line} in {html.escape(frame.function)}"
            if path is not None:
                url = QUrl.fromLocalFile(str(path))
                url.setFragment(str(frame.line))
                where = f'<a href="{url.toString()}">{where}</a>'
            code = f"<br><code>{html.escape(frame.code)}</code>" if frame.code else ""
            parts.append(f"<li>{where}{code}</li>")
        parts.append("</ol>")
        self.error_view.setHtml("".join(parts))
        self.error_box.show()

    def frame_links(self) -> list[tuple[str, int]]:
        """(path, line) of every frame that links to a local file, in order."""
        error = self._result.error if self._result else None
        out = []
        for frame in error.frames if error else []:
            path = frame.local_path or (Path(frame.file) if Path(frame.file).is_file() else None)
            if path is not None:
                out.append((str(path), frame.line))
        return out

    def _on_anchor(self, url: QUrl) -> None:
        line = int(url.fragment()) if url.fragment().isdigit() else 1
        self.open_file_requested.emit(url.toLocalFile(), line)
