"""Debug invokes: debugpy for the runtime, free ports, and the DebugSession that drives a DAP client."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runner.config import FunctionConfig
from runner.debug.dap import Breakpoint, DapClient, DapError, EventSink, PathMapper
from runner.deps import PipError, build_once, run_pip
from runner.result import SetupError

CONTAINER_DEBUG_PORT = 5678
# After a debug invoke, the runtime lives this long before it is stopped: debugpy sends some events
# (logpoint output) from a writer thread, and killing the runtime at once could lose them.
DEBUG_GRACE_S = 0.5
DEBUGPY_IN_CONTAINER = "/var/lambda-studio/debugpy"


class DebugClock:
    """Tells the runtime's emulator when a debugger holds the runtime, so the function timeout counts
    only while it runs. The backend connects where to tell (the emulator); the DebugSession says when
    it stops and resumes. Held from the start: waiting for a debugger counts for nothing, and without
    a session (an external debugger) it stays held: no timeout at all."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sink: Callable[[bool], None] | None = None
        self.held = True

    def connect(self, sink: Callable[[bool], None] | None) -> None:
        with self._lock:
            self._sink = sink
            held = self.held
        if sink is not None:
            with contextlib.suppress(Exception):
                sink(held)

    def hold(self, held: bool) -> None:
        with self._lock:
            if held == self.held:
                return
            self.held, sink = held, self._sink
        if sink is not None:
            with contextlib.suppress(Exception):  # the runtime may be gone already
                sink(held)


@dataclass(frozen=True)
class DebugOptions:
    """How a debug invoke listens: debugpy on host:port (127.0.0.1 on the desktop), waiting for a client;
    ``clock`` (when a DebugSession drives it) suspends the timeout only while the debugger holds it."""

    port: int
    host: str = "127.0.0.1"
    wait_for_client: bool = True
    clock: DebugClock | None = field(default=None, compare=False)
    # Called once (from a backend's thread) when debugpy listens and a client can attach: say
    # "waiting for a debugger" then, not before (a client attaching too early gets a reset).
    on_listening: Callable[[], None] | None = field(default=None, compare=False)

    def runtime_args(self, listen_host: str | None = None) -> list[str]:
        """``-m debugpy --listen H:P [--wait-for-client]``: put before the runtime's script."""
        args = ["-m", "debugpy", "--listen", f"{listen_host or self.host}:{self.port}"]
        return [*args, "--wait-for-client"] if self.wait_for_client else args


LISTEN_STATE = "0A"  # TCP_LISTEN in /proc/net/tcp{,6}


def listening_in(tables: str, port: int) -> bool:
    """Whether /proc/net/tcp (or tcp6) text shows a socket listening on `port` (any address)."""
    for line in tables.splitlines():
        fields = line.split()
        if len(fields) > 3 and ":" in fields[1] and fields[3] == LISTEN_STATE:
            with contextlib.suppress(ValueError):
                if int(fields[1].rsplit(":", 1)[1], 16) == port:
                    return True
    return False


def host_tcp_tables() -> str | None:
    """This machine's /proc/net/tcp and tcp6 (Linux); None where there is no such file."""
    texts = []
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            texts.append(Path(name).read_text())
    return "\n".join(texts) if texts else None


def announce_when_listening(
    debug: DebugOptions, port: int, read_tables: Callable[[], str | None], stop: threading.Event
) -> threading.Thread | None:
    """Calls ``debug.on_listening`` once a socket listens on `port` per ``read_tables()`` (polled every
    50 ms on a thread of its own until `stop` is set). Where the tables cannot be read it announces at
    once: the message must never be lost. None when nobody asked."""
    callback = debug.on_listening
    if callback is None:
        return None

    def watch() -> None:
        while not stop.is_set():
            try:
                tables = read_tables()
            except Exception:  # noqa: BLE001 - an exec into a dying container, a missing cat...
                tables = None
            if tables is None or listening_in(tables, port):
                callback()
                return
            stop.wait(0.05)

    thread = threading.Thread(target=watch, name="debugpy-listening", daemon=True)
    thread.start()
    return thread


def debug_note(debug: DebugOptions) -> str:
    """The result's note for a debug invoke."""
    if debug.clock is None:
        return "debug invoke: the function timeout was not enforced"
    return "debug invoke: the function timeout counted only while the function ran, not while paused"


def _debugpy_version() -> str | None:
    with contextlib.suppress(Exception):
        from importlib.metadata import version

        return version("debugpy")
    return None


def local_debugpy_dir() -> Path | None:
    """The directory holding our own debugpy package (for a runtime run by our interpreter)."""
    spec = importlib.util.find_spec("debugpy")
    if spec is None or not spec.origin:
        return None
    return Path(spec.origin).resolve().parent.parent


def ensure_debugpy(cache_dir: Path, python_version: str, pip_python: str | None = None) -> Path:
    """A directory with debugpy (its pure-Python wheel) for that Python version, installed once; blocks.

    The pure wheel runs on every OS and architecture, so the same directory serves a Linux container
    from a macOS host. Raises SetupError when pip cannot get it. pip runs on `pip_python`, else on our
    own interpreter (from the frozen bundle: the pip it ships, see runner.deps.pip_command).
    """
    version = _debugpy_version()
    target = cache_dir / "debugpy" / f"{version or 'latest'}-py{python_version}"
    args = ["--no-deps", "--only-binary=:all:", "--platform", "any", "--python-version", python_version]

    def build(tmp: Path) -> None:
        failure: PipError | None = None
        for spec in ([f"debugpy=={version}"] if version else []) + [
            "debugpy>=1.8"
        ]:  # ours, else any pure one
            try:
                run_pip(["--target", str(tmp), *args, spec], python=pip_python)
                return
            except PipError as exc:
                failure = exc
        assert failure is not None
        tail = " / ".join(failure.output.splitlines()[-3:]) or failure.message
        raise SetupError(f"could not install debugpy for Python {python_version}: {tail}")

    return build_once(target, build)[0]


def launch_json(port: int, host: str = "127.0.0.1", mappings: Iterable[tuple[Path, str]] = ()) -> str:
    """A VS Code launch.json configuration attaching to this debug invoke (PyCharm: same host/port)."""
    config: dict[str, Any] = {
        "name": "Attach to Lambda Studio",
        "type": "debugpy",
        "request": "attach",
        "connect": {"host": host, "port": port},
        "justMyCode": True,
    }
    pairs = [{"localRoot": str(local), "remoteRoot": remote} for local, remote in mappings]
    if pairs:
        config["pathMappings"] = pairs
    return json.dumps({"version": "0.2.0", "configurations": [config]}, indent=2)


def debug_paths(config: FunctionConfig, backend: str) -> PathMapper:
    """How local files map into the debuggee: as they lie (process), or /var/task and /opt (container,
    later layers first: in Lambda the last layer wins a file both have)."""
    if backend != "container":
        return PathMapper()
    pairs: list[tuple[str | Path, str]] = [(config.code_dir, "/var/task")]
    pairs += [(layer, "/opt") for layer in reversed(config.layer_dirs)]
    return PathMapper(pairs)


def runtime_rules(backend: str) -> list[dict[str, Any]]:
    """debugpy 'rules' hiding the runtime's own code (our bootstrap; awslambdaric in /var/runtime):
    its frames leave the call stack and stepping never enters it."""
    dirs = (
        ["/var/runtime", "/var/lambda-studio"]
        if backend == "container"
        else [str(Path(__file__).parent.parent)]
    )
    return [{"path": d.rstrip("/\\") + "/**", "include": False} for d in dirs]


@dataclass
class StopInfo:
    """Where the debuggee stopped: thread, reason and its frames (innermost first, local paths)."""

    thread_id: int
    reason: str
    frames: list[dict[str, Any]] = field(default_factory=list)
    description: str = ""

    @property
    def top(self) -> dict[str, Any] | None:
        return self.frames[0] if self.frames else None

    @property
    def path(self) -> str | None:
        top = self.top
        source = top.get("source") if top else None
        return source.get("path") if isinstance(source, dict) else None

    @property
    def line(self) -> int:
        top = self.top
        return int(top.get("line") or 0) if top else 0


class DebugSession:
    """One debug invoke as a debugger sees it: attach, breakpoints, stops, stepping, inspection.

    Qt-free and blocking (every method may wait on the adapter). ``on_event(name, body)`` is called
    from the DAP reader thread for every event, and with "stopped" after the stop's frames are read
    (body then has "frames"); the GUI crosses to its thread with a queued signal.
    """

    def __init__(
        self,
        host: str,
        port: int,
        paths: PathMapper | None = None,
        on_event: EventSink | None = None,
        clock: DebugClock | None = None,
    ) -> None:
        self.host, self.port = host, port
        self.on_event = on_event
        self.clock = clock or DebugClock()  # pass the DebugOptions' clock to suspend only while stopped
        self.client = DapClient(self._event, paths)
        self._cond = threading.Condition()
        self.stop: StopInfo | None = None
        self.stop_count = 0
        self._stopping = False  # a 'stopped' event came; its frames are being read
        self.ended = threading.Event()
        self.output: list[str] = []

    # -- life cycle --
    def start(
        self,
        breakpoints: Mapping[str, Iterable[Breakpoint]] | None = None,
        timeout: float = 30.0,
        alive: Callable[[], bool] | None = None,
        **attach_args: Any,
    ) -> None:
        """Connects (retrying while the runtime starts), sets breakpoints and lets the code run; blocks.
        ``attach_args`` go into the attach request (e.g. rules=runtime_rules(backend))."""
        self.client.connect(self.host, self.port, timeout, alive)
        self.client.attach(breakpoints, timeout=timeout, **attach_args)
        with self._cond:
            running = self.stop is None and not self._stopping
        if running:
            self.clock.hold(False)  # attached and running: the timeout counts from now

    def close(self, terminate: bool = False) -> None:
        """Detaches (the invoke runs to its end unless ``terminate``)."""
        self.client.disconnect(terminate)
        self.clock.hold(False)  # detached, debugpy lets the function run: the timeout counts again
        self.ended.set()
        with self._cond:
            self._cond.notify_all()

    # -- events (reader thread) --
    def _event(self, name: str, body: dict[str, Any]) -> None:
        if name == "stopped":
            with self._cond:
                self._stopping = True
            self.clock.hold(True)
            thread_id = int(body.get("threadId") or 0)
            info = StopInfo(thread_id, str(body.get("reason") or ""), [], str(body.get("description") or ""))
            # Read the frames on another thread: the reader thread must stay free to receive the answer.
            threading.Thread(target=self._on_stopped, args=(info, body), daemon=True).start()
            return
        if name == "continued":
            with self._cond:
                self.stop = None
                self._stopping = False
            self.clock.hold(False)
        elif name == "output":
            self.output.append(str(body.get("output") or ""))
        elif name in ("terminated", "exited", "disconnected"):
            self.ended.set()
            with self._cond:
                self.stop = None
                self._cond.notify_all()
        if self.on_event is not None:
            self.on_event(name, body)

    def _on_stopped(self, info: StopInfo, body: dict[str, Any]) -> None:
        if not info.thread_id:
            with contextlib.suppress(DapError, ValueError, IndexError, KeyError):
                info.thread_id = int(self.client.threads()[0]["id"])
        with contextlib.suppress(DapError):
            info.frames = self.client.stack_trace(info.thread_id)
        with self._cond:
            self.stop = info
            self.stop_count += 1
            self._stopping = False
            self._cond.notify_all()
        if self.on_event is not None:
            self.on_event("stopped", {**body, "threadId": info.thread_id, "frames": info.frames})

    def wait_stopped(self, timeout: float = 20.0, after: int | None = None) -> StopInfo | None:
        """The next stop (the stop_count-th after ``after``, default: any current stop); None when the
        session ended or the timeout passed."""
        seen = self.stop_count if after is None else after
        with self._cond:
            ok = self._cond.wait_for(
                lambda: (
                    (self.stop is not None and self.stop_count > seen)
                    or (after is None and self.stop is not None)
                    or self.ended.is_set()
                ),
                timeout,
            )
            return self.stop if ok and self.stop is not None else None

    # -- control: the stop is cleared before the request (the next stop may come before the answer) --
    def _resume(self, action: Callable[[int], None]) -> int:
        with self._cond:
            stop, self.stop = self.stop, None
            count = self.stop_count
        if stop is None:
            raise DapError("the debuggee is not stopped")
        self.clock.hold(False)
        action(stop.thread_id)
        return count

    def continue_(self) -> int:
        """Resumes; returns the stop count to pass to wait_stopped(after=...)."""
        return self._resume(self.client.continue_)

    def step_over(self) -> int:
        return self._resume(self.client.next)

    def step_in(self) -> int:
        return self._resume(self.client.step_in)

    def step_out(self) -> int:
        return self._resume(self.client.step_out)

    # -- inspection of the current stop --
    def _frame_id(self, frame_id: int | None) -> int | None:
        if frame_id is not None:
            return frame_id
        top = self.stop.top if self.stop else None
        return int(top["id"]) if top else None

    def scopes(self, frame_id: int | None = None) -> list[dict[str, Any]]:
        fid = self._frame_id(frame_id)
        return [] if fid is None else self.client.scopes(fid)

    def variables(self, reference: int) -> list[dict[str, Any]]:
        return self.client.variables(reference) if reference else []

    def locals(self, frame_id: int | None = None) -> dict[str, str]:
        """name → value text of the frame's first scope (Locals)."""
        scopes = self.scopes(frame_id)
        if not scopes:
            return {}
        return {v["name"]: str(v.get("value")) for v in self.variables(int(scopes[0]["variablesReference"]))}

    def evaluate(self, expression: str, frame_id: int | None = None, context: str = "repl") -> dict[str, Any]:
        """{"result", "type", "variablesReference"}; raises DapError with the adapter's message."""
        return self.client.evaluate(expression, self._frame_id(frame_id), context)

    def set_breakpoints(self, path: str | Path, breakpoints: Iterable[Breakpoint]) -> list[dict[str, Any]]:
        """Replaces a file's breakpoints (sent at once while the session runs)."""
        return self.client.set_breakpoints(path, breakpoints)
