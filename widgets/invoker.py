"""The invoke controller: turns an invoke intent into a job on the bridge and reports back in signals.

It holds the warm backends (one per choice) for the window's lifetime; it never touches a widget.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from app.project.model import Project
from runner.result import InvokeResult, SetupError
from widgets.history_view import HistoryEntry
from widgets.jobs import Job, JobBridge

BackendFactory = Callable[[str], Any]


def _call_invoke(backend: Any, config: Any, event: bytes, sink: Any, cancel: threading.Event) -> InvokeResult:
    """Blocks: one invoke, whatever the backend's keyword spelling of the log sink."""
    params = inspect.signature(backend.invoke).parameters
    if "log_sink" in params:
        return backend.invoke(config, event, log_sink=sink, cancel=cancel)
    return backend.invoke(config, event, sink, cancel)


def _close_quietly(backend: Any) -> None:
    try:
        backend.close()
    except Exception:  # closing must never stop the window from closing
        pass


def _default_backend(name: str) -> Any:
    from app.invoke import select_backend

    return select_backend(name)


class Invoker(QObject):
    """One invocation at a time; `started`, `log_lines`, `finished(HistoryEntry)` or `failed(message)`."""

    started = Signal(str, str)
    log_lines = Signal(list)
    finished = Signal(object)
    failed = Signal(str)
    running_changed = Signal(bool)

    def __init__(
        self,
        jobs: JobBridge,
        parent: QObject | None = None,
        *,
        backend_factory: BackendFactory | None = None,
        region: Callable[[], str | None] = lambda: None,
    ) -> None:
        super().__init__(parent)
        self._jobs = jobs
        self._factory = backend_factory or _default_backend
        self._region = region
        self._backends: dict[str, Any] = {}
        self._project: Project | None = None
        self._job: Job | None = None

    def set_project(self, project: Project | None) -> None:
        """A different project: its warm runtimes are stopped on the pool, not on the GUI thread."""
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
            backend = self._backend(backend_choice)
        except SetupError as exc:
            self.failed.emit(str(exc))
            return None
        except Exception as exc:  # a backend that cannot start (docker missing) is the user's to fix
            self.failed.emit(f"Cannot start the {backend_choice} backend: {exc}")
            return None
        lines: list[str] = []
        job = self._jobs.submit(
            lambda sink, cancel: _call_invoke(backend, config, event, sink, cancel), "invoke"
        )
        self._job = job
        job.log_lines.connect(lines.extend)
        job.log_lines.connect(self.log_lines.emit)
        job.finished.connect(lambda result: self._on_finished(function_id, event_name, result, lines))
        job.failed.connect(self._on_failed)
        self.started.emit(function_id, event_name)
        self.running_changed.emit(True)
        return job

    def stop(self) -> None:
        if self._job is not None:
            self._job.cancel()

    def _backend(self, choice: str) -> Any:
        if choice not in self._backends:
            self._backends[choice] = self._factory(choice)
        return self._backends[choice]

    def _on_finished(self, function_id: str, event_name: str, result: Any, lines: list[str]) -> None:
        self._job = None
        self.running_changed.emit(False)
        if not isinstance(result, InvokeResult):
            self.failed.emit(f"The backend returned {type(result).__name__}, not a result")
            return
        log = lines or result.log_text.splitlines()
        self.finished.emit(HistoryEntry(function_id, event_name, result, log_lines=list(log)))

    def _on_failed(self, message: str) -> None:
        self._job = None
        self.running_changed.emit(False)
        self.failed.emit(message)

    def warm_count(self) -> int:
        """Warm runtimes across backends (containers in a pool, emulators of the process backend)."""
        total = 0
        for backend in self._backends.values():
            pool = getattr(backend, "pool", None)
            warm = getattr(pool, "_warm", None) if pool is not None else getattr(backend, "_emulators", None)
            total += len(warm or {})
        return total

    def close_backends(self) -> None:
        """Blocks briefly: stops warm runtimes (called on project change and quit)."""
        for backend in self._backends.values():
            _close_quietly(backend)
        self._backends = {}
