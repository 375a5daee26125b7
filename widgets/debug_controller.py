"""The debug controller: a debug invoke as a job, its DebugSession, and DAP calls kept off the GUI thread.

It never touches a widget. The GUI thread owns the session: only it reads or replaces ``self.session``.
DAP calls run as jobs on the one job bridge, one after another in the order they were asked for (a
step must not overtake the continue before it); their answers and failures come back as the job's
signals. DAP events arrive on the session's reader thread and reach the GUI thread only through the
queued ``_post`` signal.
"""

from __future__ import annotations

import contextlib
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot

from app.project.model import Project
from runner.debug.dap import Breakpoint
from runner.debug.session import (
    DebugClock,
    DebugOptions,
    DebugSession,
    StopInfo,
    debug_paths,
    runtime_rules,
)
from runner.ports import free_port
from runner.result import SetupError
from widgets.invoker import history_entry, start_invoke_job
from widgets.jobs import Job, JobBridge

# (backend choice, FunctionConfig) -> (backend with invoke(..., debug=...), note or None); blocks
DebugBackendFactory = Callable[[str, Any], tuple[Any, str | None]]
# One queued DAP call: (session, blocking call, on its value, on its failure text); the handlers run
# on the GUI thread.
_DapCall = tuple[DebugSession, Callable[[DebugSession], Any], Callable[[Any], None], Callable[[str], None]]


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
        self.session: DebugSession | None = None  # GUI thread only
        self.current: StopInfo | None = None
        self._calls: deque[_DapCall] = deque()
        self._call_job: Job | None = None
        self._post.connect(self._run_posted, Qt.ConnectionType.QueuedConnection)

    def _default_backend(self, choice: str, config: Any) -> tuple[Any, str | None]:
        from app.debug import debug_backend

        options = dict(self._options())
        if (project := self._project()) is not None:  # select_backend hands each backend its part
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
            # A SetupError is a UserFacingError: the bridge reports it as the job's failure.
            backend, note = self._factory(backend_choice, config)
            try:
                clock = DebugClock()  # the timeout counts only while the function runs
                paths = debug_paths(config, backend.name)

                def on_event(name: str, body: dict[str, Any]) -> None:  # the session's reader thread
                    self._post.emit(lambda: self._on_event(session, name, body))

                session = DebugSession("127.0.0.1", port, paths, on_event, clock)
                rules = runtime_rules(backend.name)
                self._post.emit(lambda: self._adopt(session, bps, done, rules))  # the GUI thread owns it
                result = backend.invoke(config, event, sink, cancel, debug=DebugOptions(port, clock=clock))
                if note:
                    result.note = f"{note} {result.note or ''}".strip()
                return result
            finally:
                done.set()
                with contextlib.suppress(Exception):
                    backend.close()

        self._job = start_invoke_job(self, self._jobs, work, "debug-invoke", function_id, event_name)
        return self._job

    def _adopt(
        self, session: DebugSession, bps: dict[str, list[Breakpoint]], done: threading.Event, rules: list[Any]
    ) -> None:
        """GUI thread: the invoke job made its session; attach (a DAP call) while the runtime starts."""
        if done.is_set() or self._job is None:  # the invoke already ended: nothing to attach to
            self._dap(session, lambda s: s.close())
            return
        self.session = session

        def attached(_: object) -> None:
            if session is self.session:
                self.attached.emit(session.port)

        def not_attached(text: str) -> None:
            if not done.is_set():  # the runtime would wait for a debugger forever: end the invoke
                self.message.emit(f"Could not attach the debugger: {text}")
                self.stop()

        self._dap(
            session,
            lambda s: s.start(bps, timeout=60.0, alive=lambda: not done.is_set(), rules=rules),
            attached,
            not_attached,
        )

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
            self._dap(session, lambda s: s.close())
        self.running_changed.emit(False)
        self.ended.emit()

    # --- DAP calls: jobs on the bridge, one at a time, in order -------------------------------------
    def _dap(
        self,
        session: DebugSession,
        fn: Callable[[DebugSession], Any],
        on_value: Callable[[Any], None] | None = None,
        on_error: Callable[[str], None] | None = None,
    ) -> None:
        """GUI thread: queue one blocking DAP call; a DapError arrives as its failure text."""
        self._calls.append((session, fn, on_value or _ignore, on_error or self._report))
        self._next_call()

    def _next_call(self) -> None:
        if self._call_job is not None or not self._calls:
            return
        session, fn, on_value, on_error = self._calls.popleft()
        job = self._call_job = self._jobs.submit(lambda sink, cancel: fn(session), "dap-call")
        job.finished.connect(on_value)
        job.failed.connect(on_error)
        job.done.connect(self._call_done)

    def _call_done(self) -> None:
        self._call_job = None
        self._next_call()

    def _report(self, text: str) -> None:
        self.message.emit(f"Debugger: {text}")

    def pending_calls(self) -> int:
        """DAP calls queued or running (tests wait for 0)."""
        return len(self._calls) + (self._call_job is not None)

    # --- control ----------------------------------------------------------------------------------
    def _call(self, fn: Callable[[DebugSession], Any]) -> None:
        if self.session is not None:
            self._dap(self.session, fn)

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
        if self.session is not None:
            self._dap(
                self.session,
                lambda s: s.scopes(frame_id),
                lambda scopes: self.scopes_ready.emit(frame_id, scopes),
            )

    def load_variables(self, reference: int) -> None:
        if self.session is not None:
            self._dap(
                self.session,
                lambda s: s.variables(reference),
                lambda found: self.variables_ready.emit(reference, found),
            )

    def evaluate(self, expression: str, frame_id: int | None = None, context: str = "repl") -> None:
        session = self.session
        if session is None or self.current is None:
            self.evaluated.emit(expression, context, None, "not paused: evaluating needs a stopped function")
            return

        self._dap(
            session,
            lambda s: s.evaluate(expression, frame_id, context),
            lambda body: self.evaluated.emit(expression, context, body, ""),
            lambda error: self.evaluated.emit(expression, context, None, error),
        )

    def shutdown(self) -> None:
        """Blocks briefly: stops a running debug invoke and the DAP worker (window close, test teardown)."""
        if self._job is not None:
            self._job.cancel()
        session, self.session = self.session, None
        self._calls.clear()  # queued calls are moot; a running one ends with the session's socket
        if session is not None:
            with contextlib.suppress(Exception):
                session.close(terminate=True)


def _ignore(_: object) -> None:
    pass
