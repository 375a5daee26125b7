"""The invoke controller: turns an invoke intent into a job on the bridge and reports back in signals.

It holds the warm backends (one per choice) for the window's lifetime; it never touches a widget.
Backends are created on the worker thread too: connecting to docker may take seconds.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from app.project.model import Project
from runner.backends.contract import Backend
from runner.errors import UserFacingError
from runner.result import InvokeResult, SetupError
from widgets.history_view import HistoryEntry
from widgets.jobs import Job, JobBridge

BackendFactory = Callable[[str], Backend]


def _close_quietly(backend: Any) -> None:
    try:
        backend.close()
    except Exception:  # closing must never stop the window from closing
        pass


def start_invoke_job(
    owner: Any, jobs: JobBridge, work: Callable[..., object], name: str, function_id: str, event_name: str
) -> Job:
    """Submit an invoke job for owner (an Invoker or a Debugger): its live log lines go to
    owner.log_lines, its end to owner._on_finished(function_id, event_name, result, lines) or
    owner._on_failed(message)."""
    lines: list[str] = []
    job = jobs.submit(work, name)
    job.log_lines.connect(lines.extend)
    job.log_lines.connect(owner.log_lines.emit)
    job.finished.connect(lambda result: owner._on_finished(function_id, event_name, result, lines))
    job.failed.connect(owner._on_failed)
    owner.started.emit(function_id, event_name)
    owner.running_changed.emit(True)
    return job


def history_entry(function_id: str, event_name: str, result: object, lines: list[str]) -> HistoryEntry | str:
    """The history entry of a finished invoke job, or the message to show when it gave no result."""
    if not isinstance(result, InvokeResult):
        return f"The backend returned {type(result).__name__}, not a result"
    return HistoryEntry(
        function_id, event_name, result, log_lines=list(lines or result.log_text.splitlines())
    )


class Invoker(QObject):
    """One invocation at a time; `started`, `log_lines`, `progress`, then `finished(HistoryEntry)` or `failed`."""

    started = Signal(str, str)
    log_lines = Signal(object)  # list[str]
    progress = Signal(str, float)  # text, fraction 0..1 (or -1 when unknown)
    finished = Signal(object)
    failed = Signal(str)
    running_changed = Signal(bool)
    prestart_state = Signal(str, str)  # function id, state: "warming", "ready" or a message why not

    _progress_from_worker = Signal(str, float)

    def __init__(
        self,
        jobs: JobBridge,
        parent: QObject | None = None,
        *,
        backend_factory: BackendFactory | None = None,
        region: Callable[[], str | None] = lambda: None,
        backend_options: Callable[[], Mapping[str, Any]] = dict,
    ) -> None:
        super().__init__(parent)
        self._jobs = jobs
        self._factory = backend_factory or self._default_backend
        self._region = region
        self._options = backend_options
        self._lock = threading.Lock()
        self._backends: dict[str, Backend] = {}
        self._project: Project | None = None
        self._job: Job | None = None
        self._prestart_job: Job | None = None
        self._prestart_key: tuple[str, str] | None = None
        self._progress_from_worker.connect(self._on_progress)

    # --- backends ---------------------------------------------------------------------------------
    def _default_backend(self, name: str) -> Backend:
        from app.invoke import select_backend

        options = dict(self._options())
        options["pull_progress"] = self._pull_progress  # select_backend hands each backend its part
        if self._project is not None:
            options.setdefault("project", str(self._project.root))  # labelled by its path's hash
        return select_backend(name, **options)

    def _pull_progress(self, step: Any) -> None:
        """Worker thread: forward an image pull step to the GUI thread (queued)."""
        image = getattr(step, "image", "image")
        percent = float(getattr(step, "percent", -1.0))
        self._progress_from_worker.emit(f"pulling {image}…", percent / 100 if percent >= 0 else -1.0)

    @Slot(str, float)
    def _on_progress(self, text: str, fraction: float) -> None:
        self.progress.emit(text, fraction)

    def _backend(self, choice: str) -> Backend:
        """Blocks (docker connect): called on the worker thread."""
        with self._lock:
            backend = self._backends.get(choice)
        if backend is None:
            made = self._factory(choice)
            with self._lock:
                backend = self._backends.setdefault(choice, made)
            if backend is not made:  # a pre-start and an invoke raced: keep one warm backend
                _close_quietly(made)
        return backend

    def shared_backend(self, choice: str) -> Any:
        """The warm backend invokes use, for other runners of the same functions (the Local API dock);
        it stays owned by the invoker, which closes it. Blocks (docker connect): worker thread only."""
        return self._backend(choice)

    def set_project(self, project: Project | None) -> None:
        """A different project: its warm runtimes are stopped on the pool, not on the GUI thread."""
        self.cancel_prestart()
        with self._lock:
            backends, self._backends = list(self._backends.values()), {}
        if backends:

            def close_all(sink: object, cancel: object) -> None:
                for backend in backends:
                    _close_quietly(backend)

            self._jobs.submit(close_all, "close-backends")
        self._project = project

    def update_project(self, project: Project) -> None:
        """The same project reloaded: backends stay warm (they restart a function whose config changed)."""
        self._project = project

    def close_backends(self) -> None:
        """Blocks briefly: stops warm runtimes (called on quit and when settings change)."""
        with self._lock:
            backends, self._backends = list(self._backends.values()), {}
        for backend in backends:
            _close_quietly(backend)

    def warm_count(self) -> int:
        """Warm runtimes across backends (containers in a pool, emulators of the process backend)."""
        with self._lock:
            backends = list(self._backends.values())
        return sum(backend.warm_count() for backend in backends)

    # --- invoking ---------------------------------------------------------------------------------
    def is_running(self) -> bool:
        return self._job is not None and self._job.running

    def current_job(self) -> Job | None:
        return self._job

    def invoke(self, function_id: str, event_name: str, event: bytes, backend_choice: str) -> Job | None:
        if self.is_running():
            self.failed.emit("An invocation is already running; stop it first (Shift+F5)")
            return None
        spec = self._project.function(function_id) if self._project else None
        if spec is None or self._project is None:
            self.failed.emit(f"No function {function_id!r} in the open project")
            return None
        from app.invoke import function_config  # imported on first use: start-up stays short

        try:
            config = function_config(self._project, spec, region=self._region())
        except SetupError as exc:
            self.failed.emit(str(exc))
            return None

        def work(sink: Callable[[str], None], cancel: threading.Event) -> object:
            # A SetupError (no docker, bad handler...) is a UserFacingError: the bridge reports it.
            if backend_choice not in self._backends:
                self._progress_from_worker.emit("starting the backend…", -1.0)
            return self._backend(backend_choice).invoke(config, event, self._progress_sink(sink), cancel)

        self._job = start_invoke_job(self, self._jobs, work, "invoke", function_id, event_name)
        return self._job

    def _progress_sink(self, sink: Callable[[str], None]) -> Callable[[str], None]:
        """The runner's own lines ("lambda-studio: installing …") also become the toolbar's progress text:
        a slow first step says what it is doing, not only "Running…"."""

        def forward(line: str) -> None:
            sink(line)
            text = line if isinstance(line, str) else ""
            if text.startswith("lambda-studio: "):
                self._progress_from_worker.emit(text[len("lambda-studio: ") :], -1.0)

        return forward

    def stop(self) -> None:
        if self._job is not None:
            self._job.cancel()

    # --- pre-start: the first click is warm -------------------------------------------------------
    def prestart(self, function_id: str, backend_choice: str) -> Job | None:
        """Warm the function's runtime in the background: requirements installed, a runtime (process)
        or container started, so the first Invoke finds it warm. One at a time: a newer selection
        cancels an older pre-start. Emits prestart_state(function_id, "warming"/"ready"/message)."""
        spec = self._project.function(function_id) if self._project else None
        if spec is None or self._project is None:
            return None
        key = (function_id, backend_choice)
        if self._prestart_job is not None and self._prestart_job.running:
            if self._prestart_key == key:
                return self._prestart_job
            self._prestart_job.cancel()
        from app.invoke import function_config

        try:
            config = function_config(self._project, spec, region=self._region())
        except SetupError as exc:
            self.prestart_state.emit(function_id, str(exc))
            return None

        def work(sink: Callable[[str], None], cancel: threading.Event) -> str:
            try:
                self._backend(backend_choice).warm_up(config, sink, cancel)
            except UserFacingError as exc:  # no docker, no wheels...: said quietly, the invoke says it again
                return str(exc)
            return "cancelled" if cancel.is_set() else "ready"

        job = self._prestart_job = self._jobs.submit(work, "prestart")
        self._prestart_key = key
        job.finished.connect(lambda state: self._prestart_done(job, function_id, str(state)))
        job.failed.connect(lambda message: self._prestart_done(job, function_id, message))
        self.prestart_state.emit(function_id, "warming")
        return job

    def _prestart_done(self, job: Job, function_id: str, state: str) -> None:
        if self._prestart_job is job:
            self._prestart_job = None
            self._prestart_key = None
        if state != "cancelled":
            self.prestart_state.emit(function_id, state)

    def cancel_prestart(self) -> None:
        if self._prestart_job is not None:
            self._prestart_job.cancel()

    def _on_finished(self, function_id: str, event_name: str, result: Any, lines: list[str]) -> None:
        self._job = None
        self.running_changed.emit(False)
        entry = history_entry(function_id, event_name, result, lines)
        if isinstance(entry, str):
            self.failed.emit(entry)
        else:
            self.finished.emit(entry)

    def _on_failed(self, message: str) -> None:
        self._job = None
        self.running_changed.emit(False)
        self.failed.emit(message)
