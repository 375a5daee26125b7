"""The "Local API" dock: start/stop the project's local HTTP API, its routes (double-click opens the
handler), the request workbench and response, and a history of requests (replay, save as test event)."""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.project.model import Project
from runner.errors import UserFacingError
from runner.gateway.model import Exchange, Route
from widgets.elided_label import ElidedLabel
from widgets.jobs import Job, JobBridge
from widgets.request_workbench import OutgoingRequest, RequestWorkbench, ResponseView, curl_command

BackendFactory = Callable[[], Any]  # blocks; called on a worker thread
COLUMNS = ("Method", "Path", "Function", "API", "Auth")


def send_request(
    base_url: str, request: OutgoingRequest
) -> tuple[int, str, list[tuple[str, str]], bytes, float]:
    """Sends one request and reads the whole answer; blocks (worker thread)."""
    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=60)
    started = time.perf_counter()
    try:
        conn.putrequest(request.method, request.target, skip_accept_encoding=True)
        for name, value in request.headers:
            conn.putheader(name, value)
        conn.putheader("Content-Length", str(len(request.body)))
        conn.endheaders(request.body or None)
        response = conn.getresponse()
        body = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        return response.status, response.reason, list(response.getheaders()), body, elapsed
    finally:
        conn.close()


def replay_request(exchange: Exchange) -> OutgoingRequest:
    """The request of a history entry, as it arrived (headers API Gateway adds are not in it)."""
    req = exchange.request
    skip = {"host", "content-length", "connection", "accept-encoding"}
    headers = [(k, v) for k, v in req.headers if k.lower() not in skip]
    return OutgoingRequest(req.method, req.path, req.raw_query, headers, req.body)


class LocalApiDock(QWidget):
    """Runs the local API as one long job on the bridge; everything else stays on the GUI thread."""

    open_file_requested = Signal(str, int)
    events_changed = Signal(str, list)  # function id, its saved event names (after "Save as test event")
    message = Signal(str)
    log_lines = Signal(object)  # list[str] from the server (requests, function output)
    running_changed = Signal(bool)

    _started = Signal(object)  # worker → GUI: the LocalApi once it listens
    _exchange = Signal(object)  # worker → GUI: one Exchange

    def __init__(
        self,
        jobs: JobBridge,
        backend_factory: BackendFactory,
        parent: QWidget | None = None,
        *,
        owns_backend: bool = True,
    ) -> None:
        super().__init__(parent)
        self.jobs = jobs
        self.backend_factory = backend_factory
        self.owns_backend = owns_backend  # False: the backend is shared (the invoker's) and not closed here
        self.project: Project | None = None
        self.api: Any = None
        self.exchanges: list[Exchange] = []
        self._job: Job | None = None
        self._routes: list[Route] = []
        self._wake = threading.Event()  # a reload or a stop is waiting for the server's thread
        self._reload_lock = threading.Lock()
        self._reload_to: Project | None = None
        self.start_button = QPushButton("Start")
        self.port = QSpinBox(minimum=0, maximum=65535, value=3000)
        self.port.setToolTip("port of the API routes (0 = any free port)")
        self.url = ElidedLabel("stopped", min_chars=8)  # full text in its tooltip, copied by its menu
        self.routes = QTableWidget(0, len(COLUMNS))
        self.routes.setHorizontalHeaderLabels(COLUMNS)
        self.routes.verticalHeader().hide()
        self.routes.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.routes.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.routes.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.routes.horizontalHeader().setStretchLastSection(True)
        self.workbench = RequestWorkbench()
        self.response = ResponseView()
        self.history = QListWidget()
        self.replay_button = QPushButton("Replay")
        self.save_button = QPushButton("Save as test event")
        self.diagnostics = QLabel()
        self.diagnostics.setWordWrap(True)
        self.diagnostics.setStyleSheet("color: #8a6d00")
        self._build()
        self.start_button.clicked.connect(self.toggle)
        self.routes.itemSelectionChanged.connect(self._route_selected)
        self.routes.itemDoubleClicked.connect(lambda item: self._open_handler(item.row()))
        self.workbench.send_requested.connect(self.send)
        self.workbench.copy_curl_requested.connect(self.copy_curl)
        self.replay_button.clicked.connect(self.replay_selected)
        self.save_button.clicked.connect(self._ask_save)
        self._started.connect(self._on_started)
        self._exchange.connect(self._on_exchange)
        self._set_running(False)

    def _build(self) -> None:
        bar = QHBoxLayout()
        bar.addWidget(self.start_button)
        bar.addWidget(QLabel("Port"))
        bar.addWidget(self.port)
        bar.addStretch(1)
        history_box = QWidget()
        history_layout = QVBoxLayout(history_box)
        history_layout.setContentsMargins(0, 0, 0, 0)
        history_layout.addWidget(QLabel("History"))
        history_layout.addWidget(self.history, 1)
        row = QHBoxLayout()
        row.addWidget(self.replay_button)
        row.addWidget(self.save_button)
        history_layout.addLayout(row)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.routes)
        split.addWidget(self.workbench)
        split.addWidget(self.response)
        split.addWidget(history_box)
        split.setSizes([90, 190, 220, 110])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(bar)
        layout.addWidget(self.url)  # a row of its own: the whole URL shows in a narrow dock
        layout.addWidget(self.diagnostics)
        layout.addWidget(split, 1)

    # --- project and server -----------------------------------------------------------------------
    def set_project(self, project: Project | None) -> None:
        """A project was opened (or closed): a running server stops; its routes show once started."""
        self.stop()
        self.project = project
        self.workbench.jwt_signer = None
        if project is not None:
            from app.local.jwt_signer import local_jwt_signer

            self.workbench.jwt_signer = local_jwt_signer(project.root)
        self.start_button.setEnabled(project is not None)

    def update_project(self, project: Project) -> None:
        """The same project re-read (its template was saved): a running server serves the new routes on its
        open ports, its functions still warm (LocalApi.reload, on the server's own thread)."""
        self.project = project
        if self.is_running():
            with self._reload_lock:
                self._reload_to = project
            self._wake.set()

    def is_running(self) -> bool:
        return self._job is not None and self._job.running

    def toggle(self) -> None:
        if self.is_running():
            self.stop()
        else:
            self.start()

    def start(self) -> Job | None:
        project = self.project
        if project is None or self.is_running():
            return None
        port = self.port.value()
        factory = self.backend_factory
        owns = self.owns_backend

        def work(sink: Callable[[str], None], cancel: threading.Event) -> str:
            from app.local.api import LocalApi
            from app.local.functions import LocalFunctions

            functions = LocalFunctions(project, factory())
            try:
                api = LocalApi(project, functions, log=sink, on_exchange=self._exchange.emit)
                api.start("127.0.0.1", port)
                self._started.emit(api)
                while not cancel.is_set():
                    self._wake.wait(0.2)
                    self._wake.clear()
                    with self._reload_lock:
                        reload_to, self._reload_to = self._reload_to, None
                    if reload_to is not None and not cancel.is_set():
                        functions.update_project(reload_to)
                        try:
                            api.reload(reload_to)
                        except UserFacingError as exc:
                            self.message.emit(f"Local API: {exc.message} ({exc.hint})")
                        self._started.emit(api)
                api.stop()
                return "stopped"
            finally:
                if owns:
                    functions.close()

        self.exchanges_reset()
        self._job = self.jobs.submit(work, "local-api")
        self._job.log_lines.connect(self.log_lines)
        self._job.failed.connect(self._on_failed)
        self._job.done.connect(self._on_done)
        self._set_running(True)
        self.url.setText("starting…")
        return self._job

    def stop(self) -> None:
        if self._job is not None:
            self._job.cancel()
            self._wake.set()

    def exchanges_reset(self) -> None:
        self.exchanges = []
        self.history.clear()

    @Slot(object)
    def _on_started(self, api: Any) -> None:
        """The server started, or serves a re-read template: its routes are listed (a reload keeps the
        selected route and what the workbench holds)."""
        rows = {i.row() for i in self.routes.selectedIndexes()}
        kept = self._routes[rows.pop()].route_key if self.api is api and len(rows) == 1 else None
        self.api = api
        self._routes = list(api.routes)
        self.url.setText("  ".join(f"{lst.label}: {lst.url}" for lst in api.listeners))
        problems = [
            f"{d.file.name if d.file else 'template'}:{d.line or '?'}: {d.message}" for d in api.diagnostics
        ]
        self.diagnostics.setText(
            "\n".join(problems[:3]) + (f"\n… {len(problems) - 3} more" if len(problems) > 3 else "")
        )
        self.diagnostics.setVisible(bool(problems))
        self.routes.setRowCount(len(self._routes))
        for row, route in enumerate(self._routes):
            auth = route.authorizer.name if route.authorizer else "-"
            api_label = f"{route.api.kind.value} {route.payload_version}"
            for col, text in enumerate((route.method, route.path, route.function_id, api_label, auth)):
                self.routes.setItem(row, col, QTableWidgetItem(text))
        keys = [route.route_key for route in self._routes]
        if kept in keys:
            self.routes.blockSignals(True)
            self.routes.selectRow(keys.index(kept))
            self.routes.blockSignals(False)
        elif self._routes:
            self.routes.selectRow(0)

    @Slot()
    def _on_done(self) -> None:
        self._set_running(False)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.url.setText("stopped")
        self.message.emit(f"Local API: {message.removeprefix('UserFacingError: ')}")

    def _set_running(self, running: bool) -> None:
        self.start_button.setText("Stop" if running else "Start")
        self.workbench.send_button.setEnabled(running)
        if not running:
            self.url.setText("stopped")
            self.api = None
        self.running_changed.emit(running)

    # --- routes -------------------------------------------------------------------------------------
    def _route_selected(self) -> None:
        rows = {i.row() for i in self.routes.selectedIndexes()}
        if len(rows) == 1:
            route = self._routes[rows.pop()]
            self.workbench.set_route(route.method, route.path)

    def _open_handler(self, row: int) -> None:
        if self.project is None or not 0 <= row < len(self._routes):
            return
        spec = self.project.function(self._routes[row].function_id)
        handler = spec.handler_file if spec else None
        if handler is None:
            self.message.emit(f"The handler of {self._routes[row].function_id} is not a local file")
            return
        self.open_file_requested.emit(
            str(handler), _handler_line(handler, spec.handler_module_and_function if spec else None)
        )

    def base_url(self, request: OutgoingRequest) -> str | None:
        """The listener that serves the selected route (function URLs have their own)."""
        if self.api is None:
            return None
        rows = {i.row() for i in self.routes.selectedIndexes()}
        if len(rows) == 1:
            return str(self.api.url_for(self._routes[rows.pop()]))
        return str(self.api.listeners[0].url)

    # --- requests and history -------------------------------------------------------------------
    def send(self, request: OutgoingRequest) -> Job | None:
        base = self.base_url(request)
        if base is None:
            self.response.show_problem("the local API is not running: press Start")
            return None
        job = self.jobs.submit(lambda sink, cancel: send_request(base, request), "local-api-request")
        job.finished.connect(lambda answer: self.response.show_response(*answer))
        job.failed.connect(self.response.show_problem)
        return job

    def copy_curl(self, request: OutgoingRequest) -> str:
        base = self.base_url(request) or f"http://127.0.0.1:{self.port.value()}"
        text = curl_command(base, request)
        QGuiApplication.clipboard().setText(text)
        self.message.emit("Copied the request as a curl command")
        return text

    @Slot(object)
    def _on_exchange(self, exchange: Exchange) -> None:
        self.exchanges.append(exchange)
        target = exchange.route.function_id if exchange.route else "no route"
        item = QListWidgetItem(
            f"{exchange.method} {exchange.path} → {exchange.status} · {target} · {exchange.duration_ms:.0f} ms"
        )
        if exchange.problem:
            item.setToolTip(exchange.problem)
        self.history.addItem(item)
        self.history.setCurrentItem(item)

    def _selected_exchange(self) -> Exchange | None:
        row = self.history.currentRow()
        return self.exchanges[row] if 0 <= row < len(self.exchanges) else None

    def replay_selected(self) -> Job | None:
        exchange = self._selected_exchange()
        if exchange is None or exchange.request is None:
            return None
        request = replay_request(exchange)
        self.workbench.load(request)
        return self.send(request)

    def _ask_save(self) -> None:
        exchange = self._selected_exchange()
        if exchange is None or exchange.event is None or exchange.route is None:
            self.message.emit("Pick a request that reached a function to save its event")
            return
        default = "api-" + "-".join(p for p in exchange.path.strip("/").split("/")[:2] if p) or "api-request"
        name, ok = QInputDialog.getText(self, "Save as test event", "Event name:", text=default)
        if ok and name.strip():
            self.save_exchange(exchange, name.strip())

    def save_exchange(self, exchange: Exchange, name: str) -> str | None:
        """Saves the exact event the function received as one of its test events; returns its path."""
        from app.events.store import EventStore, EventStoreError

        if self.project is None or exchange.event is None or exchange.route is None:
            return None
        try:
            saved = EventStore(self.project.root).save(exchange.route.function_id, name, exchange.event)
        except (EventStoreError, OSError) as exc:
            self.message.emit(f"Cannot save the event: {exc}")
            return None
        function_id = exchange.route.function_id
        names = [e.name for e in EventStore(self.project.root).list_events(function_id)]
        self.events_changed.emit(function_id, names)
        self.message.emit(f"Saved {function_id}/{saved.name} (the event as the function received it)")
        return str(saved.path)


def _handler_line(path: Any, parts: tuple[str, str] | None) -> int:
    """The line defining the handler function, or 1."""
    if parts is None:
        return 1
    try:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.lstrip().startswith((f"def {parts[1]}(", f"async def {parts[1]}(")):
                return number
    except OSError:
        pass
    return 1
