"""The warm functions of a project, by logical id or name: one backend, one invoke call for every trigger.

The local HTTP API (`start-api`), the local application's event sources (`start`) and `serve` all run
functions through this one object, so they share warm runtimes, hot reload and the concurrency limit.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Mapping
from dataclasses import replace
from typing import Any

from app.invoke import function_config
from app.project.model import FunctionSpec, Project
from runner.backends.contract import Backend, LogSink
from runner.config import FunctionConfig
from runner.emulator import Answer, RecentLogs, Throttled
from runner.emulator.gate_link import GateLink
from runner.result import InvokeResult, Outcome, SetupError


class LocalFunctions:
    """The project's runnable functions behind one backend; thread-safe, blocking invokes."""

    def __init__(
        self,
        project: Project,
        backend: Backend,
        env_vars: Mapping[str, Any] | None = None,
        *,
        extra_environment: Mapping[str, str] | None = None,
        host_gate: GateLink | None = None,
    ) -> None:
        self.project = project
        self.backend = backend
        self.env_vars = env_vars
        # Added to every function's environment (e.g. AWS_ENDPOINT_URL of the local AWS endpoint).
        self.extra_environment = dict(extra_environment or {})
        # how a function in a container reaches those endpoints (app/local/gate.py)
        self.host_gate = host_gate
        self._lock = threading.Lock()
        self._closing = threading.Event()  # a pre-warm still running stops starting runtimes
        self._configs: dict[str, FunctionConfig] = {}
        self.skipped: dict[str, str] = {}  # logical id -> why it cannot run locally
        self._by_name: dict[str, FunctionSpec] = {}
        for spec in project.functions:
            self._by_name[spec.logical_id] = spec
            self._by_name.setdefault(spec.function_name, spec)

    def update_project(self, project: Project) -> None:
        """The project re-read (its template changed): configs are rebuilt on next use; the backend stays
        warm and restarts only the functions whose configuration changed."""
        by_name: dict[str, FunctionSpec] = {}
        for spec in project.functions:
            by_name[spec.logical_id] = spec
            by_name.setdefault(spec.function_name, spec)
        with self._lock:
            self.project = project
            self._by_name = by_name
            self._configs = {}
            self.skipped = {}

    def spec(self, function: str) -> FunctionSpec | None:
        """The function with this logical id or function name, or None."""
        return self._by_name.get(function)

    def config(self, function: str) -> FunctionConfig:
        """The runner's config of a function; raises SetupError when it is unknown or cannot run."""
        spec = self.spec(function)
        if spec is None:
            raise SetupError(f"no function {function!r} in {self.project.root}")
        with self._lock:
            cached = self._configs.get(spec.logical_id)
        if cached is not None:
            return cached
        config = function_config(self.project, spec, self.env_vars)
        if self.extra_environment:
            env = dict(config.environment)
            for key, value in self.extra_environment.items():
                env.setdefault(key, value)
            config = replace(config, environment=env)
        if self.host_gate is not None:
            config = replace(config, host_gate=self.host_gate)
        with self._lock:
            self._configs[spec.logical_id] = config
        return config

    def runnable(self) -> list[FunctionSpec]:
        """The functions that can run locally; the others are kept in ``skipped`` with the reason."""
        out: list[FunctionSpec] = []
        for spec in self.project.functions:
            try:
                self.config(spec.logical_id)
            except SetupError as exc:
                self.skipped[spec.logical_id] = str(exc)
                continue
            out.append(spec)
        return out

    def invoke(
        self,
        function: str,
        event: bytes,
        sink: LogSink | None = None,
        cancel: Any = None,
        *,
        client_context: str | None = None,
    ) -> InvokeResult:
        """Invokes one function on the shared warm backend; blocks. Raises SetupError for user errors."""
        config = self.config(function)
        if client_context is None:
            return self.backend.invoke(config, event, sink, cancel)
        return self.backend.invoke(config, event, sink, cancel, client_context=client_context)

    def served(self, sink: LogSink | None = None) -> dict[str, ServedFunction]:
        """The runnable functions as Invoke API targets (runner.emulator.InvokeServer), by logical id and
        by function name; every invoke's log lines go to ``sink``."""
        recent = RecentLogs()
        out: dict[str, ServedFunction] = {}
        for spec in self.runnable():
            target = ServedFunction(self, spec.logical_id, sink, recent)
            out[spec.logical_id] = target
            out.setdefault(spec.function_name, target)
        return out

    def prewarm(self, log: LogSink | None = None, only: Collection[str] | None = None) -> None:
        """Starts each runnable function's (or those of ``only``, by logical id) first runtime, process
        or container, ahead of its first invoke, side by side (Backend.warm_up without waiting for each
        init); its init is reported on that invoke. A function that cannot start is logged. Blocks."""
        for spec in self.runnable():
            if self._closing.is_set():
                return
            if only is not None and spec.logical_id not in only:
                continue
            try:
                self.backend.warm_up(self.config(spec.logical_id), cancel=self._closing, wait=False)
            except SetupError as exc:  # ContainerBackendError too: the invoke will say it again
                if log is not None:
                    log(f"lambda-studio: could not pre-warm {spec.logical_id}: {exc}")

    def close(self) -> None:
        """Stops every runtime of the backend. Blocks."""
        self._closing.set()
        self.backend.close()


class ServedFunction:
    """One function as the Invoke API server runs it: through LocalFunctions, so through the backend."""

    def __init__(
        self, local: LocalFunctions, function: str, sink: LogSink | None, recent: RecentLogs
    ) -> None:
        self.local = local
        self.function = function
        self.sink = sink
        self.recent = recent
        self.concurrency = int(getattr(local.backend, "concurrency", 10) or 10)

    def invoke(self, payload: bytes, *, client_context: str | None = None) -> Answer:
        """Runs one invoke; blocks. Raises Throttled over the concurrency limit, SetupError for user errors."""
        result = self.local.invoke(self.function, payload, self.sink, client_context=client_context)
        if result.outcome is Outcome.THROTTLED:
            raise Throttled()
        self.recent.put(result.request_id, result.log_text)
        metrics = result.metrics
        report = {
            "requestId": result.request_id,
            "outcome": result.outcome.value,
            "cold": result.cold_start,
            "durationMs": metrics.duration_ms if metrics else None,
            "billedDurationMs": metrics.billed_duration_ms if metrics else None,
            "initDurationMs": metrics.init_duration_ms if metrics else None,
            "memorySizeMb": metrics.memory_size_mb if metrics else None,
            "maxMemoryUsedMb": metrics.max_memory_used_mb if metrics else None,
            "logBytes": len(result.log_text.encode()),
            "backend": result.backend,
        }
        return Answer(result.request_id, result.payload, not result.ok, result.log_text, report)

    def recent_log(self, request_id: str) -> str | None:
        return self.recent.get(request_id)

    def reload(self) -> None:
        reload = getattr(self.local.backend, "reload", None)
        if reload is not None:
            reload(self.local.config(self.function))
