"""The one backend contract: what the process, container and auto backends offer, and their options.

Every caller (the CLI, the window's invoker and debugger, serve, the local API) holds a ``Backend``
and calls only these methods; ``BackendOptions`` is the one typed set of options, split here for
each concrete backend (app.invoke.select_backend builds a backend from a name and options).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from runner.config import FunctionConfig
    from runner.debug.session import DebugOptions
    from runner.result import InvokeResult

LogSink = Callable[[str], None]  # one log line; called from a backend's reader threads
WARM_UP_WAIT_S = 30.0  # the longest a warm-up waits for a runtime's init (Lambda allows 10 s)


class CancelToken(Protocol):
    """Set from any thread to stop a blocking invoke (threading.Event is one)."""

    def is_set(self) -> bool: ...


class Backend(Protocol):
    """Runs invokes of functions; every method blocks. ``name`` says where the last (or, after
    AutoBackend.choose, the next) invoke ran: 'process' or 'container'."""

    name: str

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
        """One invoke; a function failure is a result, a setup problem raises SetupError."""
        ...

    def warm_up(
        self,
        config: FunctionConfig,
        sink: LogSink | None = None,
        cancel: CancelToken | None = None,
        *,
        wait: bool = True,
    ) -> None:
        """The one warm-up, ahead of a function's first invoke (the window's pre-start, serve's and
        start-api's pre-warm): what that invoke would use is made ready (image, requirements installed, a
        runtime or container started; the auto backend warms what it would pick). ``wait``: until the
        runtime's init has run (bounded by WARM_UP_WAIT_S) or ``cancel`` is set; else return once it
        is starting. Its init is reported on the first invoke. Raises SetupError as invoke would."""
        ...

    def reload(self, config: FunctionConfig | None = None) -> None:
        """The next invoke of this function (or of every function) starts a fresh runtime."""
        ...

    def warm_count(self) -> int:
        """Warm runtimes kept for the next invokes (processes or containers)."""
        ...

    def close(self) -> None:
        """Stops every warm runtime."""
        ...


@dataclass(frozen=True)
class BackendOptions:
    """Everything a backend can be given; each backend takes the part it understands."""

    cache_dir: Path | None = None
    credentials: Mapping[str, str] | None = None
    python: str | None = None  # the process backend's interpreter
    pythons: Mapping[str, str] = field(default_factory=dict)  # runtime -> the process backend's interpreter
    concurrency: int | None = None
    runtime_cmd: list[str] | None = None
    docker_client: Any = None  # else one is connected
    project: str | None = None  # the container label
    container_image: str | None = None
    images: Mapping[str, str] = field(default_factory=dict)  # runtime -> image
    entrypoint_mode: str | None = None  # 'emulator' or 'image'
    pull_progress: Callable[[Any], None] | None = None
    remove_orphans: bool = True  # False for a one-off (debug) backend next to the window's warm one

    @classmethod
    def from_mapping(cls, options: Mapping[str, Any]) -> BackendOptions:
        """From keyword options; an unknown one is a programming error (TypeError names it)."""
        return cls(**dict(options))

    def process_kwargs(self) -> dict[str, Any]:
        """runner.backends.process.backend.ProcessBackend's keyword arguments."""
        pairs = {
            "cache_dir": self.cache_dir,
            "credentials": self.credentials,
            "python": self.python,
            "concurrency": self.concurrency,
            "runtime_cmd": self.runtime_cmd,
            "pins": dict(self.pythons) or None,
        }
        return {k: v for k, v in pairs.items() if v is not None}

    def container_kwargs(self) -> dict[str, Any]:
        """runner.backends.container.backend.ContainerBackend's keyword arguments (besides client, project, cache dir)."""
        pairs = {
            "image_override": self.container_image,
            "images": dict(self.images) or None,
            "entrypoint_mode": self.entrypoint_mode,
            "pull_progress": self.pull_progress,
            "credentials": self.credentials or None,
            "concurrency": self.concurrency,  # containers per function, as the process backend's runtimes
        }
        out: dict[str, Any] = {k: v for k, v in pairs.items() if v is not None}
        if not self.remove_orphans:
            out["remove_orphans"] = False
        return out
