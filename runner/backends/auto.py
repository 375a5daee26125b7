"""The 'auto' backend: a Lambda-like container when the engine and image are there, else a local process."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from runner.backends.container.backend import ContainerBackend
from runner.backends.container.engine import ContainerBackendError, EngineUnavailable, connect, has_image
from runner.backends.contract import CancelToken, LogSink
from runner.backends.process.backend import ProcessBackend
from runner.cache import default_cache_dir
from runner.config import FunctionConfig
from runner.debug.session import DebugOptions
from runner.result import InvokeResult

RETRY_ENGINE_S = 30.0  # after the engine failed to answer, look again this much later (not per invoke)


class AutoBackend:
    """Prefers the container backend; falls back to the process backend with a note in the result.

    The fallback happens when no engine answers or the function's image is not on this machine
    (auto never starts a long pull; ``--backend container`` does). ``name`` is the backend the last
    invoke used ('process' until a container ran one). Every method blocks.
    """

    def __init__(
        self,
        *,
        process_options: Mapping[str, Any] | None = None,
        project: str = "default",
        cache_dir: Path | None = None,
        client_factory: Callable[[], Any] = connect,
        container_options: Mapping[str, Any] | None = None,
    ) -> None:
        self.name = "process"
        self._process_options = dict(process_options or {})
        self.concurrency = int(self._process_options.get("concurrency") or 10)  # per function, either way
        self._project = project
        self._cache_dir = cache_dir or default_cache_dir() / "container"
        self._client_factory = client_factory
        self._container_options = dict(container_options or {})
        self._lock = threading.Lock()
        self._process: ProcessBackend | None = None
        self._container: ContainerBackend | None = None
        self._engine_problem: str | None = None
        self._engine_checked = 0.0

    def _container_backend(self) -> ContainerBackend | None:
        with self._lock:
            if self._container is not None:
                return self._container
            if self._engine_problem and time.monotonic() - self._engine_checked < RETRY_ENGINE_S:
                return None
            self._engine_checked = time.monotonic()
            try:
                client = self._client_factory()
                self._container = ContainerBackend(
                    client, self._project, self._cache_dir, **self._container_options
                )
            except ContainerBackendError as exc:
                self._engine_problem = str(exc)
                return None
            self._engine_problem = None
            return self._container

    def _process_backend(self) -> ProcessBackend:
        with self._lock:
            if self._process is None:
                self._process = ProcessBackend(**self._process_options)
            return self._process

    def choose(self, config: FunctionConfig) -> str | None:
        """Blocks: decides where the next invoke of `config` runs and sets ``name`` to it; returns
        None for a container, else the note saying why it runs as a local process. A debugger asks
        first: it must know where the code lives (/var/task or the local folder) before it attaches."""
        container = self._container_backend()
        if container is None:
            why = f"no docker engine ({self._engine_problem})"
        else:
            image = container.image_for(config)
            try:  # a known-present image costs no engine round trip on the warm path
                if container.image_ready(image) or has_image(container.client, image):
                    self.name = container.name
                    return None
                why = f"the image {image} is not on this machine (`--backend container` pulls it)"
            except EngineUnavailable as exc:
                why = f"no docker engine ({exc})"
        self.name = "process"
        return f"Ran as a local process, not in a container: {why}."

    def invoke(
        self,
        config: FunctionConfig,
        event: bytes,
        sink: LogSink | None = None,
        cancel: CancelToken | None = None,
        *,
        client_context: str | None = None,
        debug: DebugOptions | None = None,
    ) -> InvokeResult:
        """Invokes once in a container if possible, else as a local process (the note says why).

        A debug invoke runs where ``choose`` decided (the debugger attached with that path layout)."""
        note = self.choose(config)
        if note is None and self._container is not None:
            try:
                return self._container.invoke(
                    config, event, sink, cancel, client_context=client_context, debug=debug
                )
            except EngineUnavailable as exc:
                if debug is not None:
                    raise
                note = f"Ran as a local process, not in a container: no docker engine ({exc})."
                self._forget_container()
            except ContainerBackendError as exc:  # e.g. requirements without Linux wheels
                if debug is not None:
                    raise
                note = f"Ran as a local process, not in a container: {exc}."
        process = self._process_backend()
        result = process.invoke(config, event, sink, cancel, client_context=client_context, debug=debug)
        self.name = process.name
        assert note is not None
        result.note = f"{note} {result.note}" if result.note else note
        return result

    def warm_count(self) -> int:
        """Warm containers plus warm local runtimes."""
        return sum(part.warm_count() for part in (self._container, self._process) if part is not None)

    def warm_up(
        self,
        config: FunctionConfig,
        sink: LogSink | None = None,
        cancel: CancelToken | None = None,
        *,
        wait: bool = True,
    ) -> None:
        """Blocks: warms what the next invoke would use — a container when its image is here and the
        engine answers, else a local process (runner.backends.contract.Backend.warm_up)."""
        container = self._container_backend()
        if container is not None:
            try:
                image = container.image_for(config)
                if container.image_ready(image) or has_image(container.client, image):
                    container.warm_up(config, sink, cancel, wait=wait)
                    return
            except (EngineUnavailable, ContainerBackendError):
                pass  # the invoke will fall back to a process: warm that instead
        self._process_backend().warm_up(config, sink, cancel, wait=wait)

    def _forget_container(self) -> None:
        with self._lock:
            container, self._container = self._container, None
            self._engine_problem, self._engine_checked = "the engine stopped answering", time.monotonic()
        if container is not None:
            container.close()

    def reload(self, config: FunctionConfig | None = None) -> None:
        if self._container is not None:
            self._container.reload(config)
        if self._process is not None:
            self._process.reload(config)

    def close(self) -> None:
        """Stops every container and warm process. Blocks."""
        with self._lock:
            container, self._container = self._container, None
            process, self._process = self._process, None
        if container is not None:
            container.close()
        if process is not None:
            process.close()
