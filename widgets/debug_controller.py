"""The debug controller: a debug invoke as a job, its DebugSession, and DAP calls kept off the GUI thread.

It never touches a widget. DAP events arrive on the session's reader thread and DAP answers on a
single worker thread; both reach the GUI thread only through the queued ``_post`` signal.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot

from app.project.model import Project
from runner.dap import Breakpoint, DapError
from runner.debug import (
    DebugClock,
    DebugOptions,
    DebugSession,
    StopInfo,
    debug_paths,
    free_port,
    runtime_rules,
)
from runner.result import SetupError
from widgets.invoker import history_entry, start_invoke_job
from widgets.jobs import Job, JobBridge

# (backend choice, FunctionConfig) -> (backend with invoke(..., debug=...), note or None); blocks
DebugBackendFactory = Callable[[str, Any], tuple[Any, str | None]]


class Debugger(QObject):
    """One debug invoke at a time: ``started``, ``attached``, ``stopped``/``resumed`` (repeatedly), then
    ``finished(HistoryEntry)`` or ``failed``; inspection answers come as ``scopes_ready``,
    ``variables_ready`` and ``evaluated``."""

    started = Signal(str, str)  # function id, event name
    attached = Signal(int)  # the debugpy port
    log_lines = Signal(object)  # list[str]
    finished = Signal(object)  # HistoryEntry
    failed = Signal(str)
    running_changed = Signal(bool)
    stopped = Signal(object)  # StopInfo (frames with local paths)
    resumed = Signal()
    ended = Signal()
    output = Signal(str)
    scopes_ready = Signal(int, object)  # frame id, list of scopes
    variables_ready = Signal(int, object)  # variablesReference, list of variables
    evaluated = Signal(str, str, object, str)  # expression, context, evaluate body (None on error), error
    message = Signal(str)

    _post = Signal(object)  # a callable to run on the GUI thread

    def __init__(
        self,
        jobs: JobBridge,
        parent: QObject | None = None,
        *,
        backend_factory: DebugBackendFactory | None = None,
        backend_options: Callable[[], Mapping[str, Any]] = dict,
        region: Callable[[], str | None] = lambda: None,
        project: Callable[[], Project | None] = lambda: None,
    ) -> None:
        super().__init__(parent)
        self._jobs = jobs
        self._factory = backend_factory or self._default_backend
        self._options = backend_options
        self._region = region
        self._project = project
        self._job: Job | None = None
        self.session: DebugSession | None = None
        self.current: StopInfo | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dap-calls")
        self._post.connect(self._run_posted, Qt.ConnectionType.QueuedConnection)

    def _default_backend(self, choice: str, config: Any) -> tuple[Any, str | None]:
        from app.debug import debug_backend

        options = dict(self._options())
        if choice == "process":
            options = {k: v for k, v in options.items() if k not in ("images", "project")}
        elif (project := self._project()) is not None:
            options.setdefault("project", str(project.root))  # labelled by its path's hash
        return debug_backend(choice, config, **options)

    @Slot(object)
    def _run_posted(self, fn: Callable[[], None]) -> None:
        fn()

    # --- state ------------------------------------------------------------------------------------
    def is_running(self) -> bool:
        return self._job is not None and self._job.running

    def is_stopped(self) -> bool:
        return self.is_running() and self.current is not None

    # --- a debug invoke ---------------------------------------------------------------------------
    def start(
        self,
        function_id: str,
        event_name: str,
        event: bytes,
        backend_choice: str,
        breakpoints: Mapping[str, Iterable[Breakpoint]],
    ) -> Job | None:
        """Starts a debug invoke (the runtime waits under debugpy) and attaches with these breakpoints."""
        if self.is_running():
            self.failed.emit("A debug session is already running; stop it first")
            return None
        project = self._project()
        spec = project.function(function_id) if project else None
        if spec is None or project is None:
            self.failed.emit(f"No function {function_id!r} in the open project")
            return None
        from app.invoke import function_config

        try:
            config = function_config(project, spec, region=self._region())
        except SetupError as exc:
            self.failed.emit(str(exc))
            return None
        bps = {str(path): list(lines) for path, lines in breakpoints.items()}
        port = free_port()
        done = threading.Event()

        def work(sink: Callable[[str], None], cancel: threading.Event) -> object:
            try:
                backend, note = self._factory(backend_choice, config)
            except SetupError as exc:
                return exc
            try:
                clock = DebugClock()  # the timeout counts only while the function runs
                paths = debug_paths(config, backend.name)
                session = DebugSession("127.0.0.1", port, paths, self._on_dap_event, clock)
                self.session = session
                self._executor.submit(self._attach, session, bps, done, runtime_rules(backend.name))
                result = backend.invoke(config, event, sink, cancel, debug=DebugOptions(port, clock=clock))
                if note:
                    result.note = f"{note} {result.note or ''}".strip()
                return result
            except SetupError as exc:
                return exc
            finally:
                done.set()
                with contextlib.suppress(Exception):
                    backend.close()

        self._job = start_invoke_job(self, self._jobs, work, "debug-invoke", function_id, event_name)
        return self._job

    def _attach(
        self, session: DebugSession, bps: dict[str, list[Breakpoint]], done: threading.Event, rules: list[Any]
    ) -> None:
        """DAP worker: connect and attach while the invoke job starts the runtime."""
        try:
            session.start(bps, timeout=60.0, alive=lambda: not done.is_set(), rules=rules)
        except DapError as exc:
            text = f"Could not attach the debugger: {exc}"
            if not done.is_set():  # the runtime would wait for a debugger forever: end the invoke
                self._post.emit(lambda: (self.message.emit(text), self.stop()))
            return
        self._post.emit(lambda: self.attached.emit(session.port))

    def _on_dap_event(self, name: str, body: dict[str, Any]) -> None:
        """Reader thread: hand the event to the GUI thread."""
        session = self.session
        self._post.emit(lambda: self._on_event(session, name, body))

    def _on_event(self, session: DebugSession | None, name: str, body: dict[str, Any]) -> None:
        if name == "output":  # text may trail the invoke's end: show it even then
            text = str(body.get("output") or "")
            if body.get("category") != "telemetry" and text:
                self.output.emit(text)
            return
        if session is not self.session or session is None:
            return  # an old session's late event
        if name == "stopped" and "frames" in body:
            stop = StopInfo(int(body.get("threadId") or 0), str(body.get("reason") or ""), body["frames"])
            stop.description = str(body.get("description") or "")
            self.current = stop
            self.stopped.emit(stop)
        elif name in ("continued", "terminated", "exited", "disconnected"):
            self._set_resumed()

    def _set_resumed(self) -> None:
        if self.current is not None:
            self.current = None
            self.resumed.emit()

    def _on_finished(self, function_id: str, event_name: str, result: Any, lines: list[str]) -> None:
        self._end_session()
        entry = history_entry(function_id, event_name, result, lines)
        if isinstance(entry, str):
            self.failed.emit(entry)
        else:
            self.finished.emit(entry)

    def _on_failed(self, message: str) -> None:
        self._end_session()
        self.failed.emit(message)

    def _end_session(self) -> None:
        self._job = None
        session, self.session = self.session, None
        self._set_resumed()
        if session is not None:
            self._executor.submit(session.close)
        self.running_changed.emit(False)
        self.ended.emit()

    # --- control ----------------------------------------------------------------------------------
    def _call(self, fn: Callable[[DebugSession], None]) -> None:
        session = self.session
        if session is None:
            return

        def run() -> None:
            try:
                fn(session)
            except DapError as exc:
                text = f"Debugger: {exc}"
                self._post.emit(lambda: self.message.emit(text))

        self._executor.submit(run)

    def _resume(self, fn: Callable[[DebugSession], Any]) -> None:
        if self.current is None:
            return
        self._set_resumed()
        self._call(fn)

    def continue_(self) -> None:
        self._resume(lambda s: s.continue_())

    def step_over(self) -> None:
        self._resume(lambda s: s.step_over())

    def step_in(self) -> None:
        self._resume(lambda s: s.step_in())

    def step_out(self) -> None:
        self._resume(lambda s: s.step_out())

    def stop(self) -> None:
        """Ends the debug invoke: the runtime is stopped (the result says 'cancelled')."""
        if self._job is not None:
            self._job.cancel()
        self._call(lambda s: s.close(terminate=True))

    def update_breakpoints(self, by_path: Mapping[str, Iterable[Breakpoint]]) -> None:
        """The editor's breakpoints changed: files whose set differs are sent at once while a session runs."""
        session = self.session
        if session is None:
            return
        wanted = {str(p): list(bps) for p, bps in by_path.items()}
        changed = {
            path: wanted.get(path, [])
            for path in set(wanted) | set(session.client.breakpoints)
            if wanted.get(path, []) != session.client.breakpoints.get(path, [])
        }

        def send(s: DebugSession) -> None:
            for path, bps in changed.items():
                s.set_breakpoints(path, bps)

        if changed:
            self._call(send)

    # --- inspection (answers arrive as signals) ---------------------------------------------------
    def load_scopes(self, frame_id: int) -> None:
        def fetch(s: DebugSession) -> None:
            scopes = s.scopes(frame_id)
            self._post.emit(lambda: self.scopes_ready.emit(frame_id, scopes))

        self._call(fetch)

    def load_variables(self, reference: int) -> None:
        def fetch(s: DebugSession) -> None:
            found = s.variables(reference)
            self._post.emit(lambda: self.variables_ready.emit(reference, found))

        self._call(fetch)

    def evaluate(self, expression: str, frame_id: int | None = None, context: str = "repl") -> None:
        session = self.session
        if session is None or self.current is None:
            self.evaluated.emit(expression, context, None, "not paused: evaluating needs a stopped function")
            return

        def run() -> None:
            try:
                body: dict[str, Any] | None = session.evaluate(expression, frame_id, context)
                error = ""
            except DapError as exc:
                body, error = None, str(exc)
            self._post.emit(lambda: self.evaluated.emit(expression, context, body, error))

        self._executor.submit(run)

    def shutdown(self) -> None:
        """Blocks briefly: stops a running debug invoke and the DAP worker (window close, test teardown)."""
        if self._job is not None:
            self._job.cancel()
        session, self.session = self.session, None
        if session is not None:
            with contextlib.suppress(Exception):
                session.close(terminate=True)
        self._executor.shutdown(wait=True, cancel_futures=True)
