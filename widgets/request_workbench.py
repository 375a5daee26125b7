"""The Local API request workbench: compose a request (method, path, query, headers, auth, JSON body),
copy it as curl, and show a response (status, headers, pretty body, image or hex for binary, timing)."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
AUTH_PRESETS = ("No auth", "Authorization header", "Bearer JWT")
HEX_BYTES = 512


@dataclass
class OutgoingRequest:
    """A request as the workbench will send it."""

    method: str
    path: str
    query: str = ""
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    @property
    def target(self) -> str:
        return self.path + (f"?{self.query}" if self.query else "")


def example_path(route_path: str) -> str:
    """A callable path from a route path: {name} becomes name, {proxy+} becomes proxy/path."""
    if route_path == "$default":
        return "/"
    path = re.sub(r"\{(\w+)\+\}", lambda m: f"{m.group(1)}/path", route_path)
    return re.sub(r"\{(\w+)\}", lambda m: m.group(1), path)


def parse_headers(text: str) -> list[tuple[str, str]]:
    """'Name: value' lines; blank lines and lines without a colon are skipped."""
    out = []
    for line in text.splitlines():
        name, sep, value = line.partition(":")
        if sep and name.strip():
            out.append((name.strip(), value.strip()))
    return out


def curl_command(base_url: str, request: OutgoingRequest) -> str:
    """The same request as a curl command line."""
    parts = ["curl", "-i", "-X", request.method]
    for name, value in request.headers:
        parts += ["-H", f"{name}: {value}"]
    if request.body:
        try:
            parts += ["--data-binary", request.body.decode("utf-8")]
        except UnicodeDecodeError:
            parts += ["--data-binary", "@body.bin"]
    parts.append(base_url.rstrip("/") + request.target)
    return " ".join(shlex.quote(p) for p in parts)


def hex_dump(data: bytes, limit: int = HEX_BYTES) -> str:
    lines = []
    for offset in range(0, min(len(data), limit), 16):
        chunk = data[offset : offset + 16]
        ascii_part = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        lines.append(f"{offset:08x}  {chunk.hex(' '):<47}  {ascii_part}")
    if len(data) > limit:
        lines.append(f"… {len(data) - limit} more bytes")
    return "\n".join(lines)


def _mono() -> Any:
    return QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)


class RequestWorkbench(QWidget):
    """Compose a request; emits send_requested / copy_curl_requested with an OutgoingRequest."""

    send_requested = Signal(object)
    copy_curl_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.jwt_signer: Any = None  # callable(claims dict) -> token, set by the dock
        self.method = QComboBox()
        self.method.addItems(METHODS)
        self.path = QLineEdit("/")
        self.path.setPlaceholderText("/path/with/params")
        self.path.setMinimumWidth(self.path.fontMetrics().horizontalAdvance("/orders/12345") + 12)  # readable
        self.query = QLineEdit()
        self.query.setPlaceholderText("a=1&b=2")
        self.headers = QPlainTextEdit()
        self.headers.setPlaceholderText("Name: value (one per line)")
        self.headers.setFont(_mono())
        self.auth = QComboBox()
        self.auth.addItems(AUTH_PRESETS)
        for combo in (self.method, self.auth):  # may shrink below its longest item: a narrow dock fits
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(5)
        self.auth_value = QLineEdit()
        self.auth_value.setPlaceholderText('token, or JWT claims {"sub": "ada", "scope": "read"}')
        self.auth_value.setToolTip(
            "Authorization header: the header's value. Bearer JWT: the claims as JSON; the token is signed "
            "with the project's local key (.lambda-studio/), which JWT authorizers accept locally."
        )
        self.body = QPlainTextEdit()
        self.body.setFont(_mono())
        self.body.setMinimumHeight(48)
        self.body.setPlaceholderText('{"json": "body"}')
        self.format_button = QPushButton("Format JSON")
        self.send_button = QPushButton("Send")
        self.send_button.setDefault(True)
        self.curl_button = QPushButton("Copy as curl")
        self.problem = QLabel()
        self.problem.setStyleSheet("color: #b00020")
        top = QHBoxLayout()
        top.addWidget(self.method)
        top.addWidget(self.path, 1)
        top.addWidget(self.send_button)
        form = QFormLayout()
        form.addRow("Query", self.query)
        auth_row = QHBoxLayout()
        auth_row.addWidget(self.auth)
        auth_row.addWidget(self.auth_value, 1)
        form.addRow("Auth", auth_row)
        tabs = QTabWidget()
        tabs.addTab(self.body, "Body (JSON)")
        tabs.addTab(self.headers, "Headers")
        buttons = QHBoxLayout()
        buttons.addWidget(self.format_button)
        buttons.addStretch(1)
        buttons.addWidget(self.curl_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addLayout(form)
        layout.addWidget(tabs, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.problem)
        self.send_button.clicked.connect(self._send)
        self.curl_button.clicked.connect(self._curl)
        self.format_button.clicked.connect(self.format_body)

    def set_route(self, method: str, route_path: str) -> None:
        """Prefill from a route: its method (GET for ANY) and its path with example parameter values."""
        self.method.setCurrentText("GET" if method in ("ANY", "$default") else method)
        self.path.setText(example_path(route_path))

    def load(self, request: OutgoingRequest) -> None:
        """Show a request (a replay from the history)."""
        self.method.setCurrentText(request.method)
        self.path.setText(request.path)
        self.query.setText(request.query)
        self.headers.setPlainText("\n".join(f"{k}: {v}" for k, v in request.headers))
        self.auth.setCurrentIndex(0)
        self.body.setPlainText(request.body.decode("utf-8", "replace"))

    def format_body(self) -> None:
        text = self.body.toPlainText()
        try:
            self.body.setPlainText(json.dumps(json.loads(text), indent=2, ensure_ascii=False))
            self.problem.clear()
        except ValueError as exc:
            self.problem.setText(f"The body is not JSON: {exc}")

    def request(self) -> OutgoingRequest:
        """The request as composed; raises ValueError with a message for the user."""
        path = self.path.text().strip() or "/"
        if not path.startswith("/"):
            path = "/" + path
        headers = parse_headers(self.headers.toPlainText())
        preset = self.auth.currentIndex()
        value = self.auth_value.text().strip()
        if preset == 1:
            headers.append(("Authorization", value))
        elif preset == 2:
            try:
                claims = json.loads(value or "{}")
            except ValueError as exc:
                raise ValueError(f"the JWT claims are not JSON: {exc}") from None
            if not isinstance(claims, dict):
                raise ValueError("the JWT claims must be a JSON object")
            if self.jwt_signer is None:
                raise ValueError("no signing key: open a project first")
            headers.append(("Authorization", f"Bearer {self.jwt_signer(claims)}"))
        body = self.body.toPlainText().encode("utf-8")
        if body and not any(k.lower() == "content-type" for k, _ in headers):
            headers.append(("Content-Type", "application/json"))
        return OutgoingRequest(
            self.method.currentText(), path, self.query.text().strip().lstrip("?"), headers, body
        )

    def _send(self) -> None:
        try:
            request = self.request()
        except ValueError as exc:
            self.problem.setText(str(exc))
            return
        self.problem.clear()
        self.send_requested.emit(request)

    def _curl(self) -> None:
        try:
            self.copy_curl_requested.emit(self.request())
        except ValueError as exc:
            self.problem.setText(str(exc))


class ResponseView(QWidget):
    """A response: status and timing, headers, and the body pretty-printed, as an image, or in hex."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.status = QLabel("No response yet")
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.headers = QPlainTextEdit(readOnly=True)
        self.headers.setFont(_mono())
        self.text = QPlainTextEdit(readOnly=True)
        self.text.setFont(_mono())
        self.image = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.body = QStackedWidget()
        self.body.addWidget(self.text)
        self.body.addWidget(self.image)
        tabs = QTabWidget()
        tabs.addTab(self.body, "Body")
        tabs.addTab(self.headers, "Headers")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.status)
        layout.addWidget(tabs, 1)

    def show_response(
        self, status: int, reason: str, headers: list[tuple[str, str]], body: bytes, ms: float
    ) -> None:
        color = "#1b5e20" if status < 400 else "#b00020"
        self.status.setText(
            f"<b style='color:{color}'>{status} {reason}</b> · {ms:.1f} ms · {len(body)} bytes"
        )
        self.headers.setPlainText("\n".join(f"{k}: {v}" for k, v in headers))
        content_type = next((v for k, v in headers if k.lower() == "content-type"), "").lower()
        if content_type.startswith("image/"):
            pixmap = QPixmap()
            if pixmap.loadFromData(body):
                self.image.setPixmap(pixmap.scaled(320, 240, Qt.AspectRatioMode.KeepAspectRatio))
                self.body.setCurrentWidget(self.image)
                return
        self.body.setCurrentWidget(self.text)
        self.text.setPlainText(pretty_body(body))

    def show_problem(self, message: str) -> None:
        self.status.setText(f"<b style='color:#b00020'>No response</b> · {message}")
        self.text.setPlainText("")
        self.headers.setPlainText("")
        self.body.setCurrentWidget(self.text)


def pretty_body(body: bytes) -> str:
    """JSON indented, other text as is, anything else as a hex dump."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return hex_dump(body)
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text
