"""A Qt-free Debug Adapter Protocol client over TCP (talks to debugpy), with path mapping."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runner.errors import UserFacingError

EventSink = Callable[[str, dict[str, Any]], None]
DEFAULT_TIMEOUT = 10.0


class DapError(UserFacingError):
    """A request failed (the adapter said so, or the connection is gone): shown as a message."""


class DapTimeout(DapError):
    """No response within the request's timeout."""


@dataclass(frozen=True)
class Breakpoint:
    """A source breakpoint as the editor holds it: a line, optionally a condition or a log message."""

    line: int
    condition: str | None = None
    log_message: str | None = None
    hit_condition: str | None = None

    def to_dap(self) -> dict[str, Any]:
        out: dict[str, Any] = {"line": self.line}
        if self.condition:
            out["condition"] = self.condition
        if self.log_message:
            out["logMessage"] = self.log_message
        if self.hit_condition:
            out["hitCondition"] = self.hit_condition
        return out


def _norm(path: str) -> str:
    return os.path.normcase(os.path.normpath(path))


class PathMapper:
    """Maps local paths to the debuggee's paths and back (/var/task and /opt in a container).

    ``pairs`` are (local_dir, remote_dir); the longest matching prefix wins. Without pairs paths
    pass through (the process backend runs the code where it lies).
    """

    def __init__(self, pairs: Iterable[tuple[str | Path, str]] = ()) -> None:
        self.pairs = [(str(Path(local).resolve()), remote.rstrip("/") or "/") for local, remote in pairs]

    def to_remote(self, local: str) -> str:
        """The debuggee's path of a local file."""
        if not self.pairs:
            return local
        resolved = str(Path(local).resolve())
        for loc, rem in sorted(self.pairs, key=lambda p: -len(p[0])):
            if _norm(resolved) == _norm(loc) or _norm(resolved).startswith(_norm(loc) + os.sep):
                rest = resolved[len(loc) :].lstrip("/\\").replace("\\", "/")
                return rem.rstrip("/") + "/" + rest if rest else rem
        return local

    def to_local(self, remote: str) -> str:
        """The local file of a debuggee's path (unchanged when no mapping covers it). Several local
        dirs may share a remote root (layers merged into /opt): the first holding the file wins."""
        found: list[str] = []
        for loc, rem in sorted(self.pairs, key=lambda p: -len(p[1])):
            if remote == rem or remote.startswith(rem.rstrip("/") + "/"):
                rest = remote[len(rem) :].lstrip("/")
                found.append(str(Path(loc, *rest.split("/"))) if rest else loc)
        return next((f for f in found if os.path.exists(f)), found[0] if found else remote)


class _Pending:
    """A request waiting for its response."""

    def __init__(self, command: str) -> None:
        self.command = command
        self.done = threading.Event()
        self.response: dict[str, Any] | None = None

    def result(self, timeout: float | None = DEFAULT_TIMEOUT) -> dict[str, Any]:
        """The response body; raises DapTimeout or DapError."""
        if not self.done.wait(timeout):
            raise DapTimeout(f"no answer to '{self.command}' within {timeout} s")
        resp = self.response or {}
        if not resp.get("success"):
            raise DapError(str(resp.get("message") or f"'{self.command}' failed"))
        body = resp.get("body")
        return body if isinstance(body, dict) else {}


class DapClient:
    """One DAP connection. Events go to ``on_event(name, body)`` from the reader thread; requests
    block the caller up to a timeout. Thread-safe: any thread may send."""

    def __init__(self, on_event: EventSink | None = None, paths: PathMapper | None = None) -> None:
        self.on_event = on_event
        self.paths = paths or PathMapper()
        self.sock: socket.socket | None = None
        self._seq = itertools.count(1)
        self._send_lock = threading.Lock()
        self._lock = threading.Lock()
        self._pending: dict[int, _Pending] = {}
        self._event_waiters: dict[str, threading.Event] = {}
        self.breakpoints: dict[str, list[Breakpoint]] = {}  # local path -> its breakpoints
        self.verified: dict[str, list[dict[str, Any]]] = {}  # local path -> what the adapter answered
        self.configured = False
        self.closed = threading.Event()
        self.capabilities: dict[str, Any] = {}
        self._live = False  # True once an adapter answered 'initialize'

    # -- transport --
    def connect(
        self, host: str, port: int, timeout: float = 20.0, alive: Callable[[], bool] | None = None
    ) -> None:
        """Connects and sends 'initialize', retrying until the adapter answers; blocks. The adapter
        starts with the runtime, and a published container port accepts (then drops) connections
        before debugpy listens inside, so only an answer counts. ``alive`` returning False stops the
        wait early (the debuggee died)."""
        end = time.monotonic() + timeout
        last: Exception | None = None
        self.expect_event("initialized")
        while time.monotonic() < end:
            if alive is not None and not alive():
                raise DapError("the debuggee exited before a debugger could attach")
            try:
                sock = socket.create_connection((host, port), timeout=1.0)
            except OSError as exc:
                last = exc
                time.sleep(0.1)
                continue
            sock.settimeout(None)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.sock, self.closed = sock, threading.Event()
            reader = threading.Thread(target=self._read_loop, args=(sock, self.closed), daemon=True)
            reader.start()
            try:
                self.initialize(timeout=max(1.0, min(10.0, end - time.monotonic())))
            except DapError as exc:
                last = exc
                self.sock = None
                with contextlib.suppress(OSError):
                    sock.close()
                time.sleep(0.2)
                continue
            self._live = True
            return
        raise DapError(f"no debug adapter answered on {host}:{port} within {timeout:.0f} s ({last})")

    def _send(self, message: dict[str, Any]) -> None:
        if self.sock is None or self.closed.is_set():
            raise DapError("not connected to a debug adapter")
        data = json.dumps(message).encode("utf-8")
        with self._send_lock:
            try:
                self.sock.sendall(b"Content-Length: %d\r\n\r\n" % len(data) + data)
            except OSError as exc:
                raise DapError(f"the debug connection is gone: {exc}") from exc

    def _read_loop(self, sock: socket.socket, closed: threading.Event) -> None:
        stream = sock.makefile("rb")
        try:
            while True:
                length = -1
                while True:
                    line = stream.readline()
                    if not line:
                        return
                    line = line.strip()
                    if not line:
                        break
                    name, _, value = line.decode("ascii", "replace").partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value.strip())
                if length < 0:
                    continue
                body = stream.read(length)
                if len(body) < length:
                    return
                with contextlib.suppress(ValueError):
                    self._dispatch(json.loads(body.decode("utf-8")))
        except OSError:
            return
        finally:
            closed.set()
            with self._lock:
                pending = list(self._pending.values())
                self._pending.clear()
            for p in pending:
                p.response = {"success": False, "message": "the debug connection closed"}
                p.done.set()
            if self._live and sock is self.sock:  # not a handshake attempt that found nobody
                self._deliver("disconnected", {})

    def _dispatch(self, msg: dict[str, Any]) -> None:
        kind = msg.get("type")
        if kind == "response":
            with self._lock:
                pending = self._pending.pop(int(msg.get("request_seq", -1)), None)
            if pending is not None:
                pending.response = msg
                pending.done.set()
        elif kind == "event":
            name = str(msg.get("event"))
            body = msg.get("body") if isinstance(msg.get("body"), dict) else {}
            assert isinstance(body, dict)
            with self._lock:
                waiter = self._event_waiters.get(name)
            if waiter is not None:
                waiter.set()
            self._deliver(name, self._map_event(name, body))
        elif kind == "request":  # reverse requests (runInTerminal...): we support none
            with contextlib.suppress(DapError):
                self._send(
                    {
                        "seq": next(self._seq),
                        "type": "response",
                        "request_seq": msg.get("seq"),
                        "command": msg.get("command"),
                        "success": False,
                        "message": "not supported by Lambda Studio",
                    }
                )

    def _map_event(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        if name == "breakpoint" and isinstance(body.get("breakpoint"), dict):
            self._map_source(body["breakpoint"])
        return body

    def _deliver(self, name: str, body: dict[str, Any]) -> None:
        if self.on_event is not None:
            with contextlib.suppress(Exception):  # a failing sink must not kill the reader
                self.on_event(name, body)

    def expect_event(self, name: str) -> threading.Event:
        """An Event set when the named DAP event arrives (register before causing it)."""
        with self._lock:
            return self._event_waiters.setdefault(name, threading.Event())

    def send_request(self, command: str, arguments: Mapping[str, Any] | None = None) -> _Pending:
        """Sends a request; the returned handle's result(timeout) waits for the answer."""
        seq = next(self._seq)
        pending = _Pending(command)
        with self._lock:
            self._pending[seq] = pending
        msg: dict[str, Any] = {"seq": seq, "type": "request", "command": command}
        if arguments is not None:
            msg["arguments"] = dict(arguments)
        try:
            self._send(msg)
        except DapError:
            with self._lock:
                self._pending.pop(seq, None)
            raise
        return pending

    def request(
        self, command: str, arguments: Mapping[str, Any] | None = None, timeout: float = DEFAULT_TIMEOUT
    ) -> dict[str, Any]:
        """Sends a request and returns its response body; blocks up to ``timeout``."""
        return self.send_request(command, arguments).result(timeout)

    # -- the session --
    def initialize(self, timeout: float = DEFAULT_TIMEOUT) -> dict[str, Any]:
        self.capabilities = self.request(
            "initialize",
            {
                "clientID": "lambda-studio",
                "clientName": "Lambda Studio",
                "adapterID": "debugpy",
                "pathFormat": "path",
                "linesStartAt1": True,
                "columnsStartAt1": True,
                "supportsVariableType": True,
                "supportsRunInTerminalRequest": False,
            },
            timeout,
        )
        return self.capabilities

    def attach(
        self,
        breakpoints: Mapping[str, Iterable[Breakpoint]] | None = None,
        timeout: float = 20.0,
        **extra: Any,
    ) -> None:
        """attach → (initialized) setBreakpoints → configurationDone → attach answer; blocks.

        debugpy answers 'attach' only after configurationDone, so the attach is sent first and
        awaited last. ``extra`` goes into the attach arguments (justMyCode, ...).
        """
        initialized = self.expect_event("initialized")  # connect() has sent 'initialize'
        pending = self.send_request("attach", {"justMyCode": True, **extra})
        if not initialized.wait(timeout):
            raise DapTimeout("the debug adapter never sent 'initialized'")
        for path, bps in (breakpoints or {}).items():  # set_breakpoints() made meanwhile are newer: kept
            self.breakpoints.setdefault(str(path), list(bps))
        for path in list(self.breakpoints):
            self._send_breakpoints(path)
        self.request("setExceptionBreakpoints", {"filters": []})
        self.request("configurationDone")
        self.configured = True
        pending.result(timeout)

    def _send_breakpoints(self, path: str) -> list[dict[str, Any]]:
        remote = self.paths.to_remote(path)
        args = {
            "source": {"path": remote, "name": os.path.basename(path)},
            "breakpoints": [bp.to_dap() for bp in self.breakpoints.get(path, [])],
        }
        found = self.request("setBreakpoints", args).get("breakpoints") or []
        self.verified[path] = [self._map_source(dict(b)) for b in found if isinstance(b, dict)]
        return self.verified[path]

    def set_breakpoints(self, path: str | Path, breakpoints: Iterable[Breakpoint]) -> list[dict[str, Any]]:
        """Replaces a file's breakpoints; sent at once when the session runs (else at attach)."""
        key = str(path)
        self.breakpoints[key] = list(breakpoints)
        if self.configured and not self.closed.is_set():
            return self._send_breakpoints(key)
        return []

    def _map_source(self, item: dict[str, Any]) -> dict[str, Any]:
        source = item.get("source")
        if isinstance(source, dict) and isinstance(source.get("path"), str):
            source["remotePath"] = source["path"]
            source["path"] = self.paths.to_local(source["path"])
        return item

    def threads(self) -> list[dict[str, Any]]:
        return list(self.request("threads").get("threads") or [])

    def stack_trace(self, thread_id: int, levels: int = 50) -> list[dict[str, Any]]:
        """Frames (innermost first); each frame's source path is local."""
        body = self.request("stackTrace", {"threadId": thread_id, "startFrame": 0, "levels": levels})
        return [self._map_source(dict(f)) for f in body.get("stackFrames") or []]

    def scopes(self, frame_id: int) -> list[dict[str, Any]]:
        return list(self.request("scopes", {"frameId": frame_id}).get("scopes") or [])

    def variables(self, reference: int) -> list[dict[str, Any]]:
        return list(self.request("variables", {"variablesReference": reference}).get("variables") or [])

    def evaluate(self, expression: str, frame_id: int | None = None, context: str = "repl") -> dict[str, Any]:
        args: dict[str, Any] = {"expression": expression, "context": context}
        if frame_id is not None:
            args["frameId"] = frame_id
        return self.request("evaluate", args)

    def continue_(self, thread_id: int) -> None:
        self.request("continue", {"threadId": thread_id})

    def next(self, thread_id: int) -> None:
        self.request("next", {"threadId": thread_id})

    def step_in(self, thread_id: int) -> None:
        self.request("stepIn", {"threadId": thread_id})

    def step_out(self, thread_id: int) -> None:
        self.request("stepOut", {"threadId": thread_id})

    def disconnect(self, terminate: bool = False, timeout: float = 3.0) -> None:
        """Ends the session (the debuggee runs on unless ``terminate``) and closes the socket."""
        if self.sock is not None and not self.closed.is_set():
            with contextlib.suppress(DapError):
                self.request("disconnect", {"terminateDebuggee": terminate}, timeout=timeout)
        self.close()

    def close(self) -> None:
        sock, self.sock = self.sock, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        self.closed.set()
