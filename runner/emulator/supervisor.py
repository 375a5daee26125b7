"""The Lambda emulator: Runtime API 2018-06-01, the Invoke API, runtime supervision and REPORT lines.

Stdlib only, one file: it runs in-process (``Emulator``, driven by runner/process.py) and also as
a script inside Linux containers (``python3 emulator.py ...``, driven by the container backend).
Kept as a single self-contained file on purpose (so it is one file to copy into an image), which
is why it is longer than the house's ~400-line guide.

CLI contract (for the container backend)
----------------------------------------
    python3 emulator.py --function-name NAME --handler H --memory-mb N --timeout S
        [--host 127.0.0.1] [--port 8080] [--concurrency 10] [--watch DIR ...] [--cwd DIR]
        [--region R] [--account-id A] [--init-timeout 10] [--cgroup-memory auto|on|off] [--debug]
        -- RUNTIME_CMD ARGS...            (e.g. -- /var/runtime/bootstrap, or -- python3 bootstrap.py)

* Listens on --host (default 127.0.0.1; pass 0.0.0.0 inside a container) and --port.
  Prints ``lambda-studio-emulator listening on HOST:PORT`` on stderr once ready; also
  ``GET /lambda-studio/health`` → 200 ``{"status":"ok"}``.
* The runtime command is started with the emulator's own environment plus the Lambda set
  (AWS_LAMBDA_RUNTIME_API pointing at a private 127.0.0.1 port, function name, memory, log
  group/stream, _HANDLER...; values already present in the environment win, except
  AWS_LAMBDA_RUNTIME_API). Each concurrent runtime gets its own process and Runtime API port.
* Invoke: ``POST /2015-03-31/functions/function/invocations`` (RIE) or
  ``POST /2015-03-31/functions/{NAME or ARN}/invocations`` (AWS Invoke API), with
  X-Amz-Invocation-Type (RequestResponse → 200, Event → 202, DryRun → 204), X-Amz-Log-Type: Tail
  (→ X-Amz-Log-Result), X-Amz-Client-Context (base64 JSON). A function error (handled error,
  init error, timeout, runtime exit, memory kill, response too large) answers 200 with
  ``X-Amz-Function-Error: Unhandled`` and the error JSON as body (as real Lambda; RIE says 502).
  Over --concurrency in-flight invokes: 429 with ``x-amzn-ErrorType: TooManyRequestsException``;
  unknown function 404 ResourceNotFoundException; a body that is not JSON 400
  InvalidRequestContentException (NaN/Infinity too; an empty or whitespace-only body is ``{}``); over
  6,291,456 bytes (1 MB for Event) 413 RequestTooLargeException. Event invokes are queued (AsyncQueue:
  bounded by bytes, retried twice on a function error, anything not run is reported on stderr).
* Limits: a response over 6,291,556 bytes → Function.ResponseSizeTooLarge; past --timeout the
  runtime is killed (log ``<ts> <id> Task timed out after N.NN seconds``, body Sandbox.Timedout, the
  next invoke is cold); when the runtime's process tree RSS (polled every 5-20 ms) passes
  --memory-mb it is killed → Runtime.ExitError ``signal: killed``. Max Memory Used is the tree's
  peak RSS, or inside a container (--cgroup-memory auto: /.dockerenv or LAMBDA_STUDIO_IN_CONTAINER=1)
  the cgroup's peak (v2 memory.peak, v1 memory.max_usage_in_bytes).
* Extra response headers on every RequestResponse invoke:
  ``X-LambdaStudio-Report``: JSON {"requestId", "outcome" (success|function_error|timeout|
  init_error|crash|cancelled), "cold", "durationMs", "billedDurationMs", "initDurationMs" (null when
  warm), "memorySizeMb", "maxMemoryUsedMb", "logBytes"};
  ``X-LambdaStudio-Log``: base64 of the invoke's log text (the last 32 KB; the full text is at
  ``GET /lambda-studio/logs/{requestId}`` for recent invokes, 8 MB of them in all).
* ``POST /lambda-studio/reload`` restarts the runtimes (hot reload); --watch dirs are also
  mtime-scanned before each invoke and a change restarts the runtimes.
* --debug (a debugger such as debugpy may hold the runtime): no memory kill, and the init and
  function timeouts count only while the debugger does not hold the runtime. It starts held (waiting
  for the debugger to attach); ``POST /lambda-studio/debug-hold`` with ``{"held": true|false}`` says
  when a breakpoint stops it or it runs on. Everything else (logs, REPORT, errors) is as without it.
* Every log line (runtime stdout+stderr, START/END/REPORT, timeout and exit lines) is printed to
  the emulator's stdout, line-buffered, in the order the invoke's log keeps them; a line is cut at
  256 KB as Lambda does; an invoke keeps its first and last 512 KB of lines. SIGTERM/SIGINT stop the
  runtimes and exit 0.
* With LAMBDA_STUDIO_TOKEN in its environment (the container backend sets one per container), every
  Invoke API request must carry it in ``X-LambdaStudio-Token`` (else 403 AccessDeniedException);
  the emulator drops it from the environment the runtimes get and makes its own /proc entry
  unreadable to them (non-dumpable).
* Runtimes (Linux): each is a child subreaper in its own session, so whatever it starts stays in
  its tree; timeouts, crashes, memory kills, reloads and shutdown kill the whole tree and group.
  Between invokes, once a runtime waits in /next, its tree is stopped (SIGSTOP) and continued when
  the next event is delivered, as Lambda freezes the sandbox (not with --debug).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import datetime as dt
import heapq
import hmac
import json
import math
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

TOKEN_ENV = "LAMBDA_STUDIO_TOKEN"  # the container's secret: every Invoke API request must carry it
TOKEN_HEADER = "X-LambdaStudio-Token"
MAX_SYNC_PAYLOAD = 6_291_556  # a function's response (the Runtime API's limit)
MAX_REQUEST_PAYLOAD = 6_291_456  # a synchronous invoke's request (the Invoke API's limit)
MAX_ASYNC_PAYLOAD = 1_048_576  # an Event invoke's request
MAX_LOG_LINE = 256 * 1024  # Lambda cuts a log line (one CloudWatch event) at 256 KB
MAX_KEPT_LOG = 1024 * 1024  # an invoke keeps its first and last lines within this; the live sink sees all
RECENT_LOG_BYTES = 8 * 1024 * 1024  # logs kept for GET /lambda-studio/logs/{id}, all invokes together
TAIL_BYTES = 4096
BIG_TREE_FILES = 2000
HEADER_LOG_BYTES = 32 * 1024  # base64 stays under http.client's 64 KiB header-line limit
SKIP_DIRS = {"__pycache__", ".git", ".aws-sam", ".venv", "node_modules", ".mypy_cache", ".pytest_cache"}
if TYPE_CHECKING:  # a runtime alias would need Python 3.9; this file also runs on older image Pythons
    LogSink = Callable[[str], None]


def _now_ts() -> str:
    now = dt.datetime.now(dt.timezone.utc)  # noqa: UP017 - dt.UTC is 3.11+, images may be older
    return now.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _ceil_mb(n_bytes: int) -> int:
    return max(1, math.ceil(n_bytes / (1024 * 1024)))


class RequestTooLarge(ValueError):
    """The request is over the Invoke API's limit; the message is Lambda's RequestTooLargeException."""


class InvalidEvent(ValueError):
    """The event is not JSON as the Invoke API reads it (Lambda's InvalidRequestContentException)."""


def check_request_size(payload: bytes, asynchronous: bool = False) -> None:
    """Raises RequestTooLarge when an invoke's payload is over Lambda's limit (sync 6 MB, Event 1 MB)."""
    limit = MAX_ASYNC_PAYLOAD if asynchronous else MAX_REQUEST_PAYLOAD
    if len(payload) > limit:
        raise RequestTooLarge(
            f"RequestTooLargeException: {len(payload)} bytes; the request must be smaller than "
            f"{limit} bytes for the InvokeFunction operation"
        )


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_event(payload: bytes) -> bytes:
    """The event as the runtime gets it: JSON checked as the Invoke API does (no NaN/Infinity), and an
    empty or whitespace-only body (no JSON document) read as ``{}``. Raises InvalidEvent."""
    if not payload.strip():
        return b"{}"
    try:
        json.loads(payload, parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidEvent(f"Could not parse request body into json: {exc}") from None
    return payload


def exit_text(code: int) -> str:
    """Go-style text for a process exit, as Lambda prints it: 'exit status 3' or 'signal: killed'."""
    if code >= 0:
        return f"exit status {code}"
    try:
        name = signal.strsignal(-code) or str(-code)
    except (ValueError, AttributeError):
        name = str(-code)
    return f"signal: {name.split(':')[0].lower()}"


class MemoryProbe:
    """Reads the memory of a runtime's process tree (/proc, ps or Win32), or the container cgroup."""

    def __init__(self, use_cgroup: bool, cgroup_root: str = "/sys/fs/cgroup") -> None:
        self.cgroup_peak: str | None = None
        if use_cgroup:  # v2 first, then v1
            for rel in ("memory.peak", "memory/memory.max_usage_in_bytes"):
                path = os.path.join(cgroup_root, rel)
                if os.path.exists(path):
                    self.cgroup_peak = path
                    break
        self.proc = os.path.isdir("/proc/self")

    @staticmethod
    def _tree(pid: int) -> list[int]:
        out, todo = [], [pid]
        while todo:
            p = todo.pop()
            out.append(p)
            try:
                for tid in os.listdir(f"/proc/{p}/task"):
                    with open(f"/proc/{p}/task/{tid}/children") as f:
                        todo.extend(int(c) for c in f.read().split())
            except OSError:
                pass
        return out

    def _status(self, pid: int, key: str) -> int:
        total = 0
        for p in self._tree(pid):
            try:
                with open(f"/proc/{p}/status") as f:
                    for line in f:
                        if line.startswith("Name:") and line.split()[1:] == ["bwrap"]:
                            break  # the sandbox's own plumbing (runner/sandbox.py), not the function's
                        if line.startswith(key):
                            total += int(line.split()[1]) * 1024
                            break
            except OSError:
                pass
        return total

    def current(self, pid: int) -> int:
        """Resident bytes of the process tree now (0 when unknown)."""
        if self.proc:
            return self._status(pid, "VmRSS:")
        if sys.platform == "win32":
            return _win_memory(pid)[0]
        return _ps_rss(pid)

    def peak(self, pid: int, seen: int) -> int:
        """Peak bytes: the cgroup's peak in a container, else the tree's VmHWM (or the highest seen)."""
        if self.cgroup_peak:
            try:
                with open(self.cgroup_peak) as f:
                    return max(int(f.read().strip()), seen)
            except (OSError, ValueError):
                pass
        if self.proc:
            return max(self._status(pid, "VmHWM:"), seen)
        if sys.platform == "win32":
            return max(_win_memory(pid)[1], seen)
        return max(_ps_rss(pid), seen)


def _ps_rss(pid: int) -> int:
    """RSS of the process tree from one ``ps`` call (macOS and other systems without /proc)."""
    try:
        out = subprocess.run(["ps", "-A", "-o", "pid=,ppid=,rss="], capture_output=True, text=True, timeout=2)
    except (OSError, subprocess.SubprocessError):
        return 0
    rss: dict[int, int] = {}
    children: dict[int, list[int]] = {}
    for line in out.stdout.splitlines():
        parts = line.split()
        if len(parts) == 3 and all(p.isdigit() for p in parts):
            p, parent, kb = (int(x) for x in parts)
            rss[p] = kb * 1024
            children.setdefault(parent, []).append(p)
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo.extend(children.get(p, ()))
    return total


def _win_memory(pid: int) -> tuple[int, int]:  # pragma: no cover - Windows only
    import ctypes
    from ctypes import wintypes

    class Counters(ctypes.Structure):
        _fields_ = [
            ("cb", wintypes.DWORD),
            ("PageFaultCount", wintypes.DWORD),
            ("PeakWorkingSetSize", ctypes.c_size_t),
            ("WorkingSetSize", ctypes.c_size_t),
            ("QuotaPeakPagedPoolUsage", ctypes.c_size_t),
            ("QuotaPagedPoolUsage", ctypes.c_size_t),
            ("QuotaPeakNonPagedPoolUsage", ctypes.c_size_t),
            ("QuotaNonPagedPoolUsage", ctypes.c_size_t),
            ("PagefileUsage", ctypes.c_size_t),
            ("PeakPagefileUsage", ctypes.c_size_t),
        ]

    k32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
    handle = k32.OpenProcess(0x1000 | 0x0010, False, pid)
    if not handle:
        return 0, 0
    try:
        c = Counters()
        c.cb = ctypes.sizeof(c)
        if ctypes.windll.psapi.GetProcessMemoryInfo(handle, ctypes.byref(c), c.cb):  # type: ignore[attr-defined]
            return int(c.WorkingSetSize), int(c.PeakWorkingSetSize)
        return 0, 0
    finally:
        k32.CloseHandle(handle)


class _Spawner:
    """Starts every runtime from one long-lived thread.

    A runtime may ask to die with its parent (PR_SET_PDEATHSIG: the sandbox does); Linux counts the
    *thread* that forked it as the parent, so a runtime started from a short-lived request thread
    would die with that thread. This one lives as long as the process.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.jobs: list[tuple[Callable[[], Any], threading.Event, list[Any]]] = []
        self.wake = threading.Condition(self.lock)
        self.thread: threading.Thread | None = None

    def run(self, fn: Callable[[], Any]) -> Any:
        done, box = threading.Event(), []  # type: ignore[var-annotated]
        with self.lock:
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._loop, name="runtime-spawner", daemon=True)
                self.thread.start()
            self.jobs.append((fn, done, box))
            self.wake.notify()
        done.wait()
        if isinstance(box[0], BaseException):
            raise box[0]
        return box[0]

    def _loop(self) -> None:
        while True:
            with self.lock:
                while not self.jobs:
                    self.wake.wait()
                fn, done, box = self.jobs.pop(0)
            try:
                box.append(fn())
            except BaseException as exc:  # noqa: BLE001 - handed to the caller
                box.append(exc)
            done.set()


_SPAWNER = _Spawner()


def _subreaper() -> Callable[[], None] | None:
    """Linux: makes the runtime a child subreaper (kept across exec), so what its children orphan —
    a double fork, a setsid'd daemon — is re-parented to it and stays in its tree: measured, and
    killed with it. Resolved here, not in the forked child, which must only make the call."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        prctl = ctypes.CDLL(None).prctl
    except (OSError, AttributeError):
        return None
    return lambda: prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER


_SUBREAPER = _subreaper()


def _spawn(cmd: list[str], **kw: Any) -> subprocess.Popen[bytes]:
    return _SPAWNER.run(lambda: subprocess.Popen(cmd, **kw))


def kill_tree(pid: int) -> None:
    """SIGKILLs a process, its process group and (Linux) every descendant; the group and tree are
    read first, so children that outlive their parent still go."""
    if os.name != "posix":
        return
    tree = MemoryProbe._tree(pid) if os.path.isdir("/proc/self") else [pid]
    with contextlib.suppress(OSError):
        os.killpg(pid, signal.SIGKILL)
    for p in tree:
        with contextlib.suppress(OSError):
            os.kill(p, signal.SIGKILL)


def _start_time(pid: int) -> str | None:
    """The kernel's start time of a process (Linux), so a reused pid is never taken for ours."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def _group_members(pgid: int, not_before: int) -> list[int]:
    """Processes of a process group started no earlier than its leader (a live group's id is never
    reused as a pid, so these are provably the group's)."""
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and int(fields[19]) >= not_before:
                out.append(int(entry))
    return out


def _write_pid_file(pid_dir: str, pid: int) -> None:
    """Records a runtime and its owner (this process), for sweep_runtimes after a kill -9 of the owner."""
    record = {
        "pid": pid,
        "start": _start_time(pid),
        "owner": os.getpid(),
        "owner_start": _start_time(os.getpid()),
    }
    with contextlib.suppress(OSError):
        os.makedirs(pid_dir, exist_ok=True)
        with open(os.path.join(pid_dir, f"{pid}.json"), "w") as f:
            json.dump(record, f)


def sweep_runtimes(pid_dir: str) -> list[int]:
    """Kills runtimes left by an owner that is gone (e.g. a kill -9'd serve); returns their pids.

    Only provably ours and provably orphaned: the pid file names the runtime and its owner with
    their kernel start times; a runtime is killed only if it still has that start time and its
    owner does not (dead, or its pid reused). Linux only (elsewhere the records are kept)."""
    killed: list[int] = []
    if not os.path.isdir("/proc/self"):
        return killed
    try:
        names = os.listdir(pid_dir)
    except OSError:
        return killed
    for name in names:
        path = os.path.join(pid_dir, name)
        try:
            with open(path) as f:
                rec = json.load(f)
            pid, start, owner, owner_start = (
                int(rec["pid"]),
                rec["start"],
                int(rec["owner"]),
                rec["owner_start"],
            )
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if owner_start is not None and _start_time(owner) == owner_start:
            continue  # its owner is alive: not ours to touch
        if start is not None and _start_time(pid) == start:
            kill_tree(pid)
            killed.append(pid)
        elif start is not None:  # the runtime is gone; what it started in its process group is not
            for member in _group_members(pid, int(start)):
                with contextlib.suppress(OSError):
                    os.kill(member, signal.SIGKILL)
                    killed.append(member)
        with contextlib.suppress(OSError):
            os.unlink(path)
    return killed


class Invocation:
    """One invoke: the event going in, what came back, the log lines and the measured numbers."""

    def __init__(
        self, request_id: str, payload: bytes, client_context: str | None, cognito: str | None
    ) -> None:
        self.request_id = request_id
        self.payload = payload
        self.client_context = client_context
        self.cognito_identity = cognito
        self.trace_id = (
            f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Parent={uuid.uuid4().hex[:16]};Sampled=0"
        )
        self.done = threading.Event()
        self.lock = threading.Lock()  # keeping a line, its live sinks and its echo happen as one
        self.started = time.monotonic()
        self.delivered_at: float | None = None
        self.finished_at: float | None = None
        self.deadline_ms = 0
        self.outcome = "success"
        self.response: bytes | None = None
        self.error: bytes | None = None
        self.error_type_header: str | None = None
        self.too_large = False
        self._head: list[str] = []  # the first lines (START...) up to half the kept bytes
        self._tail: deque[str] = deque()  # the last lines, oldest dropped past the cap
        self._head_bytes = self._tail_bytes = self.dropped_bytes = 0
        self.closed = False  # set after REPORT: later output belongs to no invoke
        self.on_log: LogSink | None = None
        self.cold = False
        self.init_duration_ms: float | None = None
        self.duration_ms = 0.0
        self.billed_duration_ms = 0
        self.memory_size_mb = 0
        self.max_memory_used_mb: int | None = None
        self.body = b""
        self.proc: subprocess.Popen[bytes] | None = None  # the runtime process it runs on

    @property
    def function_error(self) -> bool:
        return self.outcome != "success"

    def add_line(self, line: str) -> None:
        """Keeps a log line: the log kept per invoke is bounded (its start and its end: END/REPORT)."""
        size = len(line) + 1
        if not self._tail and self._head_bytes + size <= MAX_KEPT_LOG // 2:
            self._head.append(line)
            self._head_bytes += size
            return
        self._tail.append(line)
        self._tail_bytes += size
        while self._tail_bytes > MAX_KEPT_LOG // 2 and len(self._tail) > 1:
            dropped = len(self._tail.popleft()) + 1
            self._tail_bytes -= dropped
            self.dropped_bytes += dropped

    @property
    def lines(self) -> list[str]:
        if not self.dropped_bytes:
            return [*self._head, *self._tail]
        note = f"lambda-studio: {self.dropped_bytes} bytes of log lines not kept here (the live log had them)"
        return [*self._head, note, *self._tail]

    @property
    def log_text(self) -> str:
        return "".join(line + "\n" for line in self.lines)

    def report(self) -> dict[str, Any]:
        return {
            "requestId": self.request_id,
            "outcome": self.outcome,
            "cold": self.cold,
            "durationMs": round(self.duration_ms, 2),
            "billedDurationMs": self.billed_duration_ms,
            "initDurationMs": None if self.init_duration_ms is None else round(self.init_duration_ms, 2),
            "memorySizeMb": self.memory_size_mb,
            "maxMemoryUsedMb": self.max_memory_used_mb,
            "logBytes": len(self.log_text.encode()),
        }


class Throttled(Exception):
    """Raised by Emulator.invoke when every runtime is busy (Lambda's TooManyRequestsException)."""


class _Runtime:
    """One runtime process and its private Runtime API endpoint."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.lock = threading.Condition()
        self.proc: subprocess.Popen[bytes] | None = None
        self.current: Invocation | None = None
        self.answered: set[str] = set()
        self.busy = False
        self.ready_at: float | None = None
        self.spawned_at = 0.0
        self.generation = -1
        self.served = 0
        self.oom_killed = False
        self.init_error: bytes | None = None
        self.seen_rss = 0
        self.read_lock = threading.Lock()
        self.partial: list[bytes] = []  # the line being read, at most MAX_LOG_LINE bytes of it
        self.partial_len = 0  # its full length so far (what is past the cut is dropped)
        self.after_cr = False
        self.fd = -1
        self.frozen: list[int] = []  # the stopped tree between invokes (freeze_idle)
        self.server = _QuietServer(("127.0.0.1", 0), _RuntimeApiHandler)
        self.server.daemon_threads = True
        self.server.runtime = self  # type: ignore[attr-defined]
        threading.Thread(target=self.server.serve_forever, args=(0.5,), daemon=True).start()

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def spawn(self) -> None:
        env = self.emu.runtime_env(self.port)
        self.ready_at, self.init_error, self.seen_rss = None, None, 0
        self.partial, self.partial_len, self.after_cr = [], 0, False
        self.oom_killed = False
        self.served = 0
        self.frozen = []
        self.generation = self.emu.generation
        self.spawned_at = time.monotonic()
        kw: dict[str, Any] = {"start_new_session": True} if os.name == "posix" else {}
        if _SUBREAPER is not None:
            kw["preexec_fn"] = _SUBREAPER
        self.proc = _spawn(
            list(self.emu.runtime_cmd),
            cwd=self.emu.cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            **kw,
        )
        if self.emu.pid_dir:
            _write_pid_file(self.emu.pid_dir, self.proc.pid)
        assert self.proc.stdout is not None
        self.fd = self.proc.stdout.fileno()
        if os.name == "posix":
            os.set_blocking(self.fd, False)
        threading.Thread(target=self._read_loop, args=(self.proc,), daemon=True).start()
        threading.Thread(target=self._watch_exit, args=(self.proc,), daemon=True).start()

    def kill(self) -> None:
        """Kills the runtime's whole tree: its process group and every descendant still attached
        (under the sandbox, killing its pid 1 ends the pid namespace, so nothing can escape)."""
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        kill_tree(proc.pid)
        if os.name != "posix":
            with contextlib.suppress(OSError):
                proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)

    def freeze(self) -> None:
        """SIGSTOPs the runtime's tree (background threads and children included) while it waits for
        an event; the tree is walked twice so a child forked meanwhile is stopped too."""
        proc = self.proc
        if self.frozen or not self.emu.freeze_idle or proc is None or proc.poll() is not None:
            return
        for _ in range(2):
            for p in MemoryProbe._tree(proc.pid):
                if p not in self.frozen:
                    with contextlib.suppress(OSError):
                        os.kill(p, signal.SIGSTOP)
                        self.frozen.append(p)

    def thaw(self) -> None:
        """SIGCONTs what freeze stopped (and anything of the tree, should a stop have raced)."""
        if not self.frozen:
            return
        proc = self.proc
        tree = MemoryProbe._tree(proc.pid) if proc is not None and proc.poll() is None else []
        for p in dict.fromkeys([*self.frozen, *tree]):
            with contextlib.suppress(OSError):
                os.kill(p, signal.SIGCONT)
        self.frozen = []

    def _watch_exit(self, proc: subprocess.Popen[bytes]) -> None:
        proc.wait()
        if self.emu.pid_dir:
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(self.emu.pid_dir, f"{proc.pid}.json"))
        with self.lock:
            inv = self.current
            # Only an invoke running on this very process: the exit of a runtime killed before a
            # new invoke started (its watcher may run late) must not end the new one.
            if inv is not None and self.proc is proc and inv.proc is proc and not inv.done.is_set():
                inv.done.set()
            self.lock.notify_all()

    # -- logs: one merged stdout+stderr pipe, drained by the invoke thread before END --
    def _read_loop(self, proc: subprocess.Popen[bytes]) -> None:
        fd = self.fd
        if os.name != "posix":  # pragma: no cover - no select() on Windows pipes
            while True:
                data = os.read(fd, 65536)
                if not data:
                    break
                self._feed(data, False)
            return
        import select

        while True:
            try:
                select.select([fd], [], [], 1.0)
            except (OSError, ValueError):
                return
            with self.read_lock:
                if self.proc is not proc or not self._read_some(fd):
                    return

    def _read_some(self, fd: int) -> bool:
        """Reads what is there; False at end of file."""
        while True:
            try:
                data = os.read(fd, 65536)
            except BlockingIOError:
                return True
            except OSError:
                return False
            if not data:
                self._feed(b"", True)
                return False
            self._feed(data, False)

    def drain(self) -> None:
        if os.name != "posix":  # pragma: no cover
            time.sleep(0.005)
            return
        with self.read_lock:
            if self.fd >= 0:
                self._read_some(self.fd)
            self._feed(b"", True)

    def _feed(self, data: bytes, flush: bool) -> None:
        """Splits output into lines in linear time; a line is cut at MAX_LOG_LINE bytes as Lambda does."""
        if data:
            if self.after_cr and data[:1] == b"\n":
                data = data[1:]  # the \n of a \r\n split across two reads
            self.after_cr = data[-1:] == b"\r"
            data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        start = 0
        while True:
            nl = data.find(b"\n", start)
            piece = data[start:] if nl < 0 else data[start:nl]
            room = MAX_LOG_LINE - self.partial_len
            if room > 0 and piece:
                self.partial.append(piece[:room])
            self.partial_len += len(piece)
            if nl < 0:
                break
            self._line_done()
            start = nl + 1
        if flush and self.partial_len:
            self._line_done()

    def _line_done(self) -> None:
        raw = b"".join(self.partial)
        self.partial, self.partial_len = [], 0
        text = raw.decode("utf-8", "replace")
        if len(raw) >= MAX_LOG_LINE and len(text.encode()) > MAX_LOG_LINE:
            text = text.encode()[:MAX_LOG_LINE].decode("utf-8", "ignore")
        self.emu.emit(text, self.current)


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # listen backlog: 50 clients connecting at once must not be reset (was 5)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a runtime killed mid-request resets its connection: expected, not worth a traceback


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's signature
        pass

    def read_body(self, limit: int) -> tuple[bytes | None, int]:
        """The request body, or (None, size) when it is over limit (then read and discarded)."""
        chunks, size = [], 0
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            while True:
                n = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if n == 0:
                    self.rfile.readline()
                    break
                data = self.rfile.read(n)
                self.rfile.readline()
                size += n
                if size <= limit:
                    chunks.append(data)
        else:
            left = int(self.headers.get("Content-Length") or 0)
            while left > 0:
                data = self.rfile.read(min(left, 1 << 20))
                if not data:
                    break
                left -= len(data)
                size += len(data)
                if size <= limit:
                    chunks.append(data)
        return (b"".join(chunks) if size <= limit else None), size

    def reply(self, status: int, body: bytes = b"", headers: Mapping[str, str] | None = None) -> None:
        reason = self.responses.get(status, ("",))[0]
        head = [f"HTTP/1.1 {status} {reason}", f"Content-Length: {len(body)}"]
        hdrs = {"Content-Type": "application/json", **(headers or {})}
        head += [f"{k}: {v}" for k, v in hdrs.items()]
        self.wfile.write(("\r\n".join(head) + "\r\n\r\n").encode("utf-8") + body)  # utf-8: JSON headers
        self.wfile.flush()


def _json(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


class _RuntimeApiHandler(_Handler):
    """The 2018-06-01 Runtime API one runtime process talks to."""

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        rt: _Runtime = self.server.runtime  # type: ignore[attr-defined]
        if self.path.rstrip("/") != "/2018-06-01/runtime/invocation/next":
            self.reply(404, _json({"errorMessage": "not found", "errorType": "InvalidRoute"}))
            return
        with rt.lock:
            proc = rt.proc
            if rt.ready_at is None:
                rt.ready_at = time.monotonic()
            while True:
                if rt.proc is not proc or (proc is not None and proc.poll() is not None):
                    self.close_connection = True
                    return  # this poll came from a runtime since killed (or replaced): leave the event
                inv = rt.current
                if inv is not None and inv.delivered_at is None and not inv.done.is_set():
                    break
                rt.freeze()  # idle in /next: stopped until its next event, as Lambda freezes it
                rt.lock.wait(1.0)  # re-check now and then: a dead runtime's poll must not linger
            rt.thaw()
            inv.delivered_at = time.monotonic()
            inv.deadline_ms = int(time.time() * 1000 + rt.emu.timeout_s * 1000)
        rt.emu.emit(f"START RequestId: {inv.request_id} Version: $LATEST", inv)
        headers = {
            "Lambda-Runtime-Aws-Request-Id": inv.request_id,
            "Lambda-Runtime-Deadline-Ms": str(inv.deadline_ms),
            "Lambda-Runtime-Invoked-Function-Arn": rt.emu.function_arn,
            "Lambda-Runtime-Trace-Id": inv.trace_id,
        }
        if inv.client_context:
            headers["Lambda-Runtime-Client-Context"] = inv.client_context
        if inv.cognito_identity:
            headers["Lambda-Runtime-Cognito-Identity"] = inv.cognito_identity
        self.reply(200, inv.payload, headers)

    def do_POST(self) -> None:  # noqa: N802
        rt: _Runtime = self.server.runtime  # type: ignore[attr-defined]
        parts = self.path.strip("/").split("/")
        if parts[:3] == ["2018-06-01", "runtime", "init"] and parts[3:] == ["error"]:
            body, _ = self.read_body(MAX_SYNC_PAYLOAD)
            with rt.lock:
                rt.init_error = body or b"{}"
                if rt.current is not None:
                    rt.current.done.set()
            self.reply(202, b'{"status":"OK"}')
            return
        if (
            len(parts) != 5
            or parts[:3] != ["2018-06-01", "runtime", "invocation"]
            or parts[4]
            not in (
                "response",
                "error",
            )
        ):
            self.read_body(MAX_SYNC_PAYLOAD)
            self.reply(404, _json({"errorMessage": "not found", "errorType": "InvalidRoute"}))
            return
        rid, kind = unquote(parts[3]), parts[4]
        body, size = self.read_body(MAX_SYNC_PAYLOAD)
        with rt.lock:
            inv = rt.current
            if rid in rt.answered:
                status, answer = (
                    403,
                    {"errorMessage": "Invalid state transition", "errorType": "InvalidStateTransition"},
                )
            elif inv is None or inv.request_id != rid or inv.delivered_at is None:
                status, answer = 400, {"errorMessage": "Invalid request ID", "errorType": "InvalidRequestID"}
            elif body is None:
                status = 413
                answer = {
                    "errorMessage": f"Exceeded maximum allowed payload size ({MAX_SYNC_PAYLOAD} bytes).",
                    "errorType": "RequestEntityTooLarge",
                }
                inv.too_large = True
            else:
                status, answer = 202, {"status": "OK"}
                if kind == "response":
                    inv.response = body
                else:
                    inv.error = body
                    inv.error_type_header = self.headers.get("Lambda-Runtime-Function-Error-Type")
            if status in (202, 413) and inv is not None:
                rt.answered.add(rid)
                inv.finished_at = time.monotonic()
                inv.done.set()
        self.reply(status, _json(answer))


def code_stamp(roots: Iterable[str | os.PathLike[str]]) -> tuple[int, int, int]:
    """(files, newest mtime, sum of mtimes and sizes) of the code and layer trees, tools' folders
    (SKIP_DIRS) left out: it changes when a file of the function does. The one stamp: the hot reload
    here and the container pool's warm-container check both use it."""
    count = newest = total = 0
    stack = [os.fspath(root) for root in roots]
    while stack:
        try:
            with os.scandir(stack.pop()) as it:
                for entry in it:
                    if entry.is_dir(follow_symlinks=False):
                        if entry.name not in SKIP_DIRS:
                            stack.append(entry.path)
                    else:
                        count += 1
                        with contextlib.suppress(OSError):
                            st = entry.stat()
                            newest = max(newest, st.st_mtime_ns)
                            total += st.st_mtime_ns + st.st_size  # size too: mtime ticks are coarse
        except OSError:
            pass
    return count, newest, total


class Emulator:
    """A warm local Lambda for one function: spawns, supervises and measures runtime processes."""

    def __init__(
        self,
        *,
        function_name: str,
        handler: str,
        runtime_cmd: Sequence[str],
        memory_mb: int = 128,
        timeout_s: float = 3.0,
        env: Mapping[str, str] | None = None,
        cwd: str | None = None,
        concurrency: int = 10,
        watch: Sequence[str] = (),
        log_sink: LogSink | None = None,
        echo_stdout: bool = False,
        region: str = "us-east-1",
        account_id: str = "123456789012",
        cgroup_memory: bool = False,
        init_timeout_s: float = 10.0,
        debug: bool = False,
        recent_log_bytes: int = RECENT_LOG_BYTES,
        pid_dir: str | None = None,
        freeze_idle: bool = True,
    ) -> None:
        self.function_name = function_name
        self.pid_dir = pid_dir  # runtimes recorded here, for sweep_runtimes after a crash of ours
        # Between invokes a runtime's tree is stopped (SIGSTOP), as Lambda freezes the sandbox; not in
        # debug mode (the debugger talks to it) and only where /proc shows the tree (Linux).
        self.freeze_idle = freeze_idle and not debug and os.path.isdir("/proc/self")
        self.handler = handler
        self.runtime_cmd = list(runtime_cmd)
        self.memory_mb = memory_mb
        self.timeout_s = timeout_s
        self.base_env = dict(os.environ if env is None else env)
        self.cwd = cwd
        self.concurrency = max(1, concurrency)
        self.watch = [os.path.abspath(d) for d in watch]
        self.log_sink = log_sink
        self.echo_stdout = echo_stdout
        self.region = region
        self.function_arn = f"arn:aws:lambda:{region}:{account_id}:function:{function_name}"
        self.init_timeout_s = init_timeout_s
        # Debug mode: a debugger may hold the runtime (waiting to attach, stopped at a breakpoint); the
        # timeouts count only while it does not (debug_hold), the memory kill is off (debugpy's adapter
        # is in the tree).
        self.debug = debug
        self._held_since: float | None = time.monotonic() if debug else None
        self._held_total = 0.0
        self.memory = MemoryProbe(cgroup_memory)
        self.generation = 0
        self.lock = threading.Lock()
        self.runtimes: list[_Runtime] = []
        self.recent = RecentLogs(recent_log_bytes)  # request id -> log text, capped by bytes
        self.closed = False
        self._snapshot = self._scan() if self.watch else None
        self._next_scan = 0.0
        self._print_lock = threading.Lock()

    # -- environment --
    def runtime_env(self, port: int) -> dict[str, str]:
        """The Lambda environment of one runtime process (values already set in env win)."""
        env = dict(self.base_env)
        now = dt.datetime.now(dt.timezone.utc)  # noqa: UP017 - dt.UTC is 3.11+, images may be older
        today = now.strftime("%Y/%m/%d")
        defaults = {
            "AWS_LAMBDA_FUNCTION_NAME": self.function_name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(self.memory_mb),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{self.function_name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": f"{today}/[$LATEST]{uuid.uuid4().hex}",
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "_HANDLER": self.handler,
            "TZ": ":UTC",
            "LANG": "en_US.UTF-8",
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        }
        for key, value in defaults.items():
            env.setdefault(key, value)
        env["AWS_LAMBDA_RUNTIME_API"] = f"127.0.0.1:{port}"
        env["PYTHONUNBUFFERED"] = "1"
        return env

    # -- logs --
    def emit(self, line: str, inv: Invocation | None) -> None:
        # Keeping, the live sinks and the echo under one lock per invoke: the invoke's log, the live log
        # and the container's stdout see its lines in the same order (a line kept before END is printed
        # before END, so a follower that stops at REPORT cannot miss it). Other invokes' lines need no
        # order among them, so concurrent invokes do not queue on one lock; the echo's lock keeps lines whole.
        with inv.lock if inv is not None else self._print_lock:
            if inv is not None and not inv.closed:
                inv.add_line(line)
                if inv.on_log is not None:
                    inv.on_log(line)
            if self.log_sink is not None:
                self.log_sink(line)
            if self.echo_stdout:
                if inv is None:
                    sys.stdout.write(line + "\n")
                    sys.stdout.flush()
                else:
                    with self._print_lock:
                        sys.stdout.write(line + "\n")
                        sys.stdout.flush()

    # -- hot reload --
    def _scan(self) -> tuple[int, int, int]:
        return code_stamp(self.watch)

    def check_changes(self) -> bool:
        """Restarts the runtimes when a watched file changed since the last check; True if so."""
        if not self.watch:
            return False
        now = time.monotonic()
        if now < self._next_scan:
            return False
        snap = self._scan()
        # A big tree (vendored packages: thousands of files) must not eat the warm path: scan it at
        # most every 0.5 s, below a human's edit-then-invoke time. Small trees: before every invoke.
        self._next_scan = now + (0.5 if snap[0] > BIG_TREE_FILES else 0.0)
        if snap == self._snapshot:
            return False
        self._snapshot = snap
        self.reload()
        return True

    def reload(self) -> None:
        """Hot reload: idle runtimes stop now, busy ones when their invoke ends; next invoke is cold."""
        with self.lock:
            self.generation += 1
            idle = [rt for rt in self.runtimes if not rt.busy]
        for rt in idle:
            rt.kill()
        if self.watch:
            self._snapshot = self._scan()

    def prewarm(self) -> None:
        """Starts one runtime ahead of the first invoke (its init is reported on that invoke)."""
        with self.lock:
            if any(rt.alive for rt in self.runtimes) or len(self.runtimes) >= self.concurrency:
                return
            rt = _Runtime(self)
            self.runtimes.append(rt)
            rt.spawn()

    @property
    def warm_count(self) -> int:
        return sum(1 for rt in self.runtimes if rt.alive and rt.ready_at is not None)

    # -- invoke --
    def _acquire(self) -> _Runtime:
        with self.lock:
            if self.closed:
                raise RuntimeError("emulator closed")
            free = [rt for rt in self.runtimes if not rt.busy]
            warm = [rt for rt in free if rt.alive and rt.generation == self.generation]
            if warm:
                rt = warm[0]
            elif free:
                rt = free[0]
            elif len(self.runtimes) < self.concurrency:
                rt = _Runtime(self)
                self.runtimes.append(rt)
            else:
                raise Throttled()
            rt.busy = True
            return rt

    def invoke(
        self,
        payload: bytes,
        *,
        client_context: str | None = None,
        cognito_identity: str | None = None,
        cancel: threading.Event | None = None,
        on_log: LogSink | None = None,
        request_id: str | None = None,
    ) -> Invocation:
        """Runs one invoke and returns it finished; blocks. Raises Throttled when all runtimes are busy,
        RequestTooLarge when the payload is over Lambda's synchronous limit (before any runtime runs)."""
        check_request_size(payload)
        self.check_changes()
        rt = self._acquire()
        inv = Invocation(request_id or str(uuid.uuid4()), payload, client_context, cognito_identity)
        inv.on_log = on_log
        inv.memory_size_mb = self.memory_mb
        try:
            if rt.alive and rt.generation != self.generation:
                rt.kill()
            with rt.lock:
                rt.current = inv
                rt.answered.clear()
            if not rt.alive:
                if rt.proc is not None:
                    rt.kill()
                rt.spawn()
            with rt.lock:
                inv.proc = rt.proc  # the process this invoke runs on (see _watch_exit)
            inv.cold = rt.served == 0
            rt.served += 1
            with rt.lock:
                rt.lock.notify_all()
            self._await(rt, inv, cancel)
            if self._died_idle(rt, inv):
                # A warm runtime that exited between invokes (e.g. after a 413) never saw this
                # event: start a fresh one, as Lambda resets the environment, and deliver again.
                inv.done.clear()
                rt.spawn()
                with rt.lock:
                    inv.proc = rt.proc
                inv.cold = True
                rt.served = 1
                with rt.lock:
                    rt.lock.notify_all()
                self._await(rt, inv, cancel)
            self._finish(rt, inv)
        finally:
            with rt.lock:
                rt.current = None
            with self.lock:
                rt.busy = False
                stale = rt.generation != self.generation
            if stale or inv.outcome in ("timeout", "cancelled", "crash", "init_error"):
                rt.kill()
        return inv

    # -- debug mode: the timeouts stop counting while a debugger holds the runtime --
    def debug_hold(self, held: bool) -> None:
        """A debugger stopped the runtime (True) or let it run on (False); debug mode only."""
        with self.lock:
            now = time.monotonic()
            if held and self._held_since is None:
                self._held_since = now
            elif not held and self._held_since is not None:
                self._held_total += now - self._held_since
                self._held_since = None

    def held_seconds(self) -> float:
        """How long debuggers have held the runtime so far."""
        since = self._held_since
        return self._held_total + (time.monotonic() - since if since is not None else 0.0)

    def _await(self, rt: _Runtime, inv: Invocation, cancel: threading.Event | None) -> None:
        limit = self.memory_mb * 1024 * 1024
        check_every, next_check = 0.01, time.monotonic() + 0.01
        polled_delivery = False
        held_mark = self.held_seconds()  # debug mode: held time before this phase does not count
        while True:
            now = time.monotonic()
            if inv.delivered_at is not None and not polled_delivery:
                polled_delivery = True  # the handler runs from now: poll memory closely again
                check_every, next_check = 0.005, min(next_check, now + 0.005)
                held_mark = self.held_seconds()
            delivered_at = inv.delivered_at  # read once: the runtime API thread sets it
            running = delivered_at is not None  # the phase this turn's deadline belongs to
            if delivered_at is None:
                # Init counts from when it began serving this invoke: a runtime pre-warmed long
                # before its first invoke has not overrun its init (Lambda's deadline is per init).
                start = max(rt.spawned_at, inv.started)
                deadline = start + self.init_timeout_s if inv.cold else now + 0.05
            else:
                deadline = delivered_at + self.timeout_s
            if self.debug and (running or inv.cold):
                if self._held_since is not None:
                    deadline = now + 3600.0  # held: recomputed every turn, so never reached
                else:
                    deadline += self.held_seconds() - held_mark
            wait = max(0.0, min(deadline, next_check) - now)
            if inv.done.wait(wait):
                return
            now = time.monotonic()
            if cancel is not None and cancel.is_set():
                inv.outcome = "cancelled"
                rt.kill()
                return
            # A deadline computed before the event was delivered is not the handler's: an event
            # delivered during this wait is judged next turn (was: "timed out after 0.03 seconds").
            if running and now >= deadline:
                inv.outcome = "timeout"
                inv.finished_at = now
                rt.kill()
                return
            if not running and inv.delivered_at is None and inv.cold and now >= deadline:
                inv.outcome = "init_error"
                inv.error = _json({"errorType": "Runtime.InitTimeout", "errorMessage": "INIT timed out"})
                rt.kill()
                return
            if now >= next_check and rt.proc is not None:
                rss = self.memory.current(rt.proc.pid)
                rt.seen_rss = max(rt.seen_rss, rss)
                if rss > limit and not self.debug:
                    rt.kill()  # the exit watcher reports 'signal: killed'
                    rt.oom_killed = True
                    return
                # a /proc read is cheap enough at 50 Hz; a `ps` run (no /proc: macOS) is not
                check_every = min(check_every * 1.5, 0.02) if self.memory.proc else 0.25
                next_check = now + check_every
            if not rt.alive and rt.proc is not None and not inv.done.is_set():
                inv.done.wait(0.05)
                return

    @staticmethod
    def _died_idle(rt: _Runtime, inv: Invocation) -> bool:
        if inv.cold or inv.delivered_at is not None or inv.outcome != "success" or rt.init_error is not None:
            return False
        if rt.proc is None:
            return False
        with contextlib.suppress(subprocess.TimeoutExpired):
            rt.proc.wait(timeout=0.5)
        return rt.proc.poll() is not None

    def _finish(self, rt: _Runtime, inv: Invocation) -> None:
        now = time.monotonic()
        proc = rt.proc
        exit_code = proc.poll() if proc is not None else None
        if proc is not None and rt.seen_rss >= 0:
            peak = self.memory.peak(proc.pid, rt.seen_rss) if exit_code is None else rt.seen_rss
            rt.seen_rss = max(rt.seen_rss, peak)
        rt.drain()
        rid = inv.request_id
        if inv.outcome == "success":
            if rt.init_error is not None and inv.response is None and inv.error is None:
                inv.outcome, inv.body = "init_error", rt.init_error
            elif inv.too_large:
                inv.outcome = "function_error"
                inv.body = _json(
                    {
                        "errorType": "Function.ResponseSizeTooLarge",
                        "errorMessage": "Response payload size exceeded maximum allowed payload size "
                        f"({MAX_SYNC_PAYLOAD} bytes).",
                    }
                )
            elif inv.response is not None:
                inv.body = inv.response
            elif inv.error is not None:
                inv.outcome, inv.body = "function_error", inv.error
            else:
                exit_code = proc.wait(timeout=5) if proc is not None else -9
                inv.outcome = "crash"
                msg = f"RequestId: {rid} Error: Runtime exited with error: {exit_text(exit_code)}"
                inv.body = _json({"errorType": "Runtime.ExitError", "errorMessage": msg})
                if inv.delivered_at is None:
                    self.emit(f"START RequestId: {rid} Version: $LATEST", inv)
                self.emit(msg, inv)
                self.emit("Runtime.ExitError", inv)
        elif inv.outcome == "timeout":
            assert inv.delivered_at is not None
            secs = (inv.finished_at or now) - inv.delivered_at
            self.emit(f"{_now_ts()} {rid} Task timed out after {secs:.2f} seconds", inv)
            msg = f"RequestId: {rid} Error: Task timed out after {secs:.2f} seconds"
            inv.body = _json({"errorType": "Sandbox.Timedout", "errorMessage": msg})
        elif inv.outcome == "init_error":
            inv.body = inv.error or b"{}"
        elif inv.outcome == "cancelled":
            inv.body = _json({"errorType": "Cancelled", "errorMessage": "Invocation cancelled by the user"})
        if inv.outcome == "init_error" and inv.delivered_at is None:
            self.emit(f"START RequestId: {rid} Version: $LATEST", inv)
        if rt.ready_at is not None and inv.cold:
            inv.init_duration_ms = (rt.ready_at - rt.spawned_at) * 1000
        elif inv.cold:
            inv.init_duration_ms = (now - rt.spawned_at) * 1000
        start = inv.delivered_at if inv.delivered_at is not None else now
        inv.duration_ms = max(0.0, ((inv.finished_at or now) - start) * 1000)
        inv.billed_duration_ms = max(1, math.ceil(inv.duration_ms + (inv.init_duration_ms or 0.0)))
        inv.max_memory_used_mb = _ceil_mb(rt.seen_rss) if rt.seen_rss else None
        if rt.oom_killed and inv.max_memory_used_mb:
            # Lambda's cgroup never lets usage pass the limit; our poll may see it a little after.
            inv.max_memory_used_mb = min(inv.max_memory_used_mb, self.memory_mb)
        self.emit(f"END RequestId: {rid}", inv)
        fields = [
            f"REPORT RequestId: {rid}",
            f"Duration: {inv.duration_ms:.2f} ms",
            f"Billed Duration: {inv.billed_duration_ms} ms",
            f"Memory Size: {self.memory_mb} MB",
            f"Max Memory Used: {inv.max_memory_used_mb or 0} MB",
        ]
        if inv.init_duration_ms is not None:
            fields.append(f"Init Duration: {inv.init_duration_ms:.2f} ms")
        self.emit("\t".join(fields), inv)
        inv.closed = True
        self.recent.put(rid, inv.log_text)

    def recent_log(self, request_id: str) -> str | None:
        """The log text of a recent invoke (kept within recent_log_bytes), or None."""
        return self.recent.get(request_id)

    def close(self) -> None:
        """Stops every runtime and Runtime API endpoint."""
        with self.lock:
            self.closed = True
            runtimes = list(self.runtimes)
        for rt in runtimes:
            rt.kill()
        if runtimes:  # serve_forever notices shutdown within its poll interval: don't make callers wait
            threading.Thread(
                target=_stop_servers, args=([rt.server for rt in runtimes],), daemon=True
            ).start()


def _stop_servers(servers: list[ThreadingHTTPServer]) -> None:
    for server in servers:
        server.shutdown()
        server.server_close()


def _resolve(functions: Mapping[str, Emulator], name: str) -> Emulator | None:
    """A function by name, by ARN (any qualifier), or 'function' when only one is served (RIE)."""
    if ":function:" in name:
        name = name.split(":function:", 1)[1].split(":", 1)[0]
    else:
        name = name.split(":", 1)[0]
    if name in functions:
        return functions[name]
    if name == "function" and len(functions) == 1:
        return next(iter(functions.values()))
    return None


def _aws_error(handler: _Handler, status: int, kind: str, message: str, **extra: str) -> None:
    body = {"Type": "User", "message": message, **extra}
    handler.reply(status, _json(body), {"x-amzn-ErrorType": kind})


class _InvokeApiHandler(_Handler):
    """The Invoke API (AWS and RIE shapes) in front of one or more emulators."""

    def _functions(self) -> Mapping[str, Emulator]:
        return self.server.functions()  # type: ignore[attr-defined]

    def _refused(self) -> bool:
        """True (after answering 403) when the server has a token and the request lacks it."""
        token: str | None = self.server.token  # type: ignore[attr-defined]
        given = self.headers.get(TOKEN_HEADER) or ""
        if token is None or hmac.compare_digest(given.encode(), token.encode()):
            return False
        self.close_connection = True
        _aws_error(self, 403, "AccessDeniedException", f"This endpoint needs its {TOKEN_HEADER} header.")
        return True

    def do_GET(self) -> None:  # noqa: N802
        if self._refused():
            return
        path = self.path.split("?", 1)[0]
        if path == "/lambda-studio/health":
            self.reply(200, _json({"status": "ok", "functions": sorted(self._functions())}))
            return
        if path.startswith("/lambda-studio/logs/"):
            rid = unquote(path.rsplit("/", 1)[1])
            for target in self._functions().values():
                text = target.recent_log(rid) if hasattr(target, "recent_log") else None
                if text is not None:
                    self.reply(200, text.encode(), {"Content-Type": "text/plain; charset=utf-8"})
                    return
        _aws_error(self, 404, "ResourceNotFoundException", f"Not found: {path}")

    def do_POST(self) -> None:  # noqa: N802
        if self._refused():
            return
        path = self.path.split("?", 1)[0]
        parts = path.strip("/").split("/")
        if path == "/lambda-studio/debug-hold":
            body, _ = self.read_body(4096)
            try:
                held = bool(json.loads(body or b"{}").get("held"))
            except (ValueError, AttributeError):
                _aws_error(self, 400, "InvalidRequestContentException", 'expected {"held": true|false}')
                return
            for target in self._functions().values():
                if hasattr(target, "debug_hold"):
                    target.debug_hold(held)
            self.reply(200, b'{"status":"OK"}')
            return
        if path == "/lambda-studio/reload":
            self.read_body(MAX_SYNC_PAYLOAD)
            for target in self._functions().values():
                if hasattr(target, "reload"):
                    target.reload()
            self.reply(200, b'{"status":"OK"}')
            return
        if (
            len(parts) != 4
            or parts[0] != "2015-03-31"
            or parts[1] != "functions"
            or parts[3] != "invocations"
        ):
            self.read_body(MAX_SYNC_PAYLOAD)
            _aws_error(self, 404, "ResourceNotFoundException", f"Unknown route {path}")
            return
        name = unquote(parts[2])
        kind = self.headers.get("X-Amz-Invocation-Type") or "RequestResponse"
        limit = MAX_ASYNC_PAYLOAD if kind == "Event" else MAX_REQUEST_PAYLOAD
        body, size = self.read_body(limit)
        found = _resolve(self._functions(), name)
        if found is None:
            _aws_error(self, 404, "ResourceNotFoundException", f"Function not found: {name}")
            return
        emu = found
        if body is None:
            message = f"Request must be smaller than {limit} bytes for the InvokeFunction operation"
            _aws_error(self, 413, "RequestTooLargeException", message)
            return
        try:  # Lambda refuses a non-JSON payload (NaN too) before any runtime sees it
            body = parse_event(body)
        except InvalidEvent as exc:
            _aws_error(self, 400, "InvalidRequestContentException", str(exc))
            return
        if kind == "DryRun":
            self.reply(204)
            return
        client_context = None
        raw_cc = self.headers.get("X-Amz-Client-Context")
        if raw_cc:
            try:
                client_context = base64.b64decode(raw_cc).decode("utf-8")
            except ValueError:
                _aws_error(self, 400, "InvalidRequestContentException", "Client context must be base64 JSON")
                return
        if kind == "Event":
            queue: AsyncQueue = self.server.async_queue  # type: ignore[attr-defined]
            request_id = queue.put(name, emu, body, client_context)
            if request_id is None:  # the queue is full: not accepted, so nothing is lost
                _aws_error(self, 429, "TooManyRequestsException", "Rate Exceeded.", Reason="AsyncQueueFull")
                return
            self.reply(202, b"", {"x-amzn-RequestId": request_id})
            return
        try:
            inv = emu.invoke(body or b"{}", client_context=client_context)
        except Throttled:
            _aws_error(
                self,
                429,
                "TooManyRequestsException",
                "Rate Exceeded.",
                Reason="ConcurrentInvocationLimitExceeded",
            )
            return
        except RequestTooLarge as exc:
            _aws_error(self, 413, "RequestTooLargeException", str(exc))
            return
        except Exception as exc:  # noqa: BLE001 - a function that cannot start: say why, do not hang up
            _aws_error(self, 500, "ServiceException", f"{type(exc).__name__}: {exc}")
            return
        log = inv.log_text.encode()
        headers = {
            "x-amzn-RequestId": inv.request_id,
            "X-Amz-Executed-Version": "$LATEST",
            "X-LambdaStudio-Report": json.dumps(inv.report(), separators=(",", ":")),
            "X-LambdaStudio-Log": base64.b64encode(log[-HEADER_LOG_BYTES:]).decode(),
        }
        if inv.function_error:
            headers["X-Amz-Function-Error"] = "Unhandled"
        if (self.headers.get("X-Amz-Log-Type") or "").lower() == "tail":
            headers["X-Amz-Log-Result"] = base64.b64encode(log[-TAIL_BYTES:]).decode()
        self.reply(200, inv.body, headers)


RETRY_DELAYS_S = (60.0, 120.0)  # Lambda retries a failed Event invoke twice: after 1 min, then 2 min
MAX_EVENT_AGE_S = 6 * 3600.0  # and gives up on an event older than 6 h (MaximumEventAgeInSeconds)
ASYNC_QUEUE_BYTES = 256 * 1024 * 1024  # events waiting, all functions together; past it Event gets 429


class RecentLogs:
    """Log texts of recent invokes by request id, oldest dropped past ``max_bytes`` in all. Thread-safe."""

    def __init__(self, max_bytes: int = RECENT_LOG_BYTES) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self.lock = threading.Lock()
        self.texts: OrderedDict[str, str] = OrderedDict()

    def put(self, request_id: str, text: str) -> None:
        with self.lock:
            self.texts[request_id] = text
            self.bytes += len(text)
            while self.bytes > self.max_bytes and len(self.texts) > 1:
                self.bytes -= len(self.texts.popitem(last=False)[1])

    def get(self, request_id: str) -> str | None:
        with self.lock:
            return self.texts.get(request_id)

    def __len__(self) -> int:
        with self.lock:
            return len(self.texts)

    def __contains__(self, request_id: object) -> bool:
        with self.lock:
            return request_id in self.texts

    def values(self) -> list[str]:
        with self.lock:
            return list(self.texts.values())


class Answer:
    """A finished invoke as the Invoke API answers it (for functions that are not an Emulator)."""

    def __init__(
        self, request_id: str, body: bytes, function_error: bool, log_text: str, report: dict[str, Any]
    ) -> None:
        self.request_id, self.body, self.function_error = request_id, body, function_error
        self.log_text, self._report = log_text, report

    def report(self) -> dict[str, Any]:
        return self._report


def _stderr_line(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


class _Event:
    __slots__ = ("name", "target", "body", "client_context", "request_id", "accepted", "attempts")

    def __init__(self, name: str, target: Any, body: bytes, client_context: str | None) -> None:
        self.name, self.target, self.body, self.client_context = name, target, body, client_context
        self.request_id = str(uuid.uuid4())
        self.accepted = time.monotonic()
        self.attempts = 0


class AsyncQueue:
    """Lambda's asynchronous invoke queue: every accepted event runs, or is reported in the log.

    Bounded by bytes (``put`` returns None when full, so the caller refuses instead of dropping).
    Workers per function up to its concurrency; a throttled attempt waits and tries again (not counted);
    a function error is retried after ``retry_delays`` (Lambda: 1 and 2 minutes); an event that fails
    every attempt, or waits past MAX_EVENT_AGE_S, is reported with its request id.
    """

    def __init__(
        self,
        log: LogSink,
        retry_delays: Sequence[float] = RETRY_DELAYS_S,
        max_bytes: int = ASYNC_QUEUE_BYTES,
        max_age_s: float = MAX_EVENT_AGE_S,
    ) -> None:
        self.log = log
        self.retry_delays = tuple(retry_delays)
        self.max_bytes = max_bytes
        self.max_age_s = max_age_s
        self.cond = threading.Condition()
        self.waiting: dict[int, list[tuple[float, int, _Event]]] = {}  # function -> heap (not before, seq)
        self.workers: dict[int, int] = {}
        self.bytes = 0
        self.pending = 0  # accepted and not yet finished or reported
        self.seq = 0
        self.closed = False
        self.ran = self.failed = 0

    def put(self, name: str, target: Any, body: bytes, client_context: str | None) -> str | None:
        """Queues one event; its request id, or None when the queue is full (nothing was accepted)."""
        event = _Event(name, target, body, client_context)
        with self.cond:
            if self.closed or self.bytes + len(body) > self.max_bytes:
                return None
            self.bytes += len(body)
            self.pending += 1
            self._push(event, 0.0)
            key, limit = id(target), max(1, int(getattr(target, "concurrency", 10)))
            if self.workers.get(key, 0) < limit:
                self.workers[key] = self.workers.get(key, 0) + 1
                threading.Thread(target=self._work, args=(key,), name="async-invoke", daemon=True).start()
        return event.request_id

    def _push(self, event: _Event, delay: float) -> None:
        self.seq += 1
        heapq.heappush(
            self.waiting.setdefault(id(event.target), []), (time.monotonic() + delay, self.seq, event)
        )
        self.cond.notify_all()

    def _next(self, key: int) -> _Event | None:
        with self.cond:
            while not self.closed:
                heap = self.waiting.get(key) or []
                now = time.monotonic()
                if heap and heap[0][0] <= now:
                    return heapq.heappop(heap)[2]
                if not heap and self.pending == 0:
                    self.workers[key] -= 1  # nothing left for this function: the worker ends
                    return None
                self.cond.wait(min(1.0, heap[0][0] - now) if heap else 1.0)
            self.workers[key] -= 1
            return None

    def _done(self, event: _Event) -> None:
        with self.cond:
            self.bytes -= len(event.body)
            self.pending -= 1
            self.cond.notify_all()

    def _work(self, key: int) -> None:
        while True:
            event = self._next(key)
            if event is None:
                return
            self._attempt(event)

    def _attempt(self, event: _Event) -> None:
        backoff = 0.02
        while True:
            if time.monotonic() - event.accepted > self.max_age_s:
                self._give_up(event, f"it waited more than {self.max_age_s:.0f} s (MaximumEventAgeInSeconds)")
                return
            try:
                answer = event.target.invoke(event.body, client_context=event.client_context)
                break
            except Throttled:  # every runtime busy: wait, not an attempt (Lambda's queue does the same)
                if self.closed:
                    self._give_up(event, "serve stopped before it could run")
                    return
                time.sleep(backoff)
                backoff = min(backoff * 2, 0.5)
            except Exception as exc:  # noqa: BLE001 - closed emulator, setup error: report, never lose
                self._give_up(event, f"{type(exc).__name__}: {exc}")
                return
        event.attempts += 1
        if not answer.function_error:
            with self.cond:
                self.ran += 1
            self._done(event)
            return
        if event.attempts <= len(self.retry_delays) and not self.closed:
            delay = self.retry_delays[event.attempts - 1]
            self.log(
                f"lambda-studio: async invoke {event.request_id} of {event.name} failed (attempt "
                f"{event.attempts}, request {answer.request_id}); retrying in {delay:g} s"
            )
            with self.cond:
                self._push(event, delay)
            return
        self._give_up(
            event, f"the function failed on all {event.attempts} attempts: {_error_text(answer.body)}"
        )

    def _give_up(self, event: _Event, why: str) -> None:
        with self.cond:
            self.failed += 1
        self.log(
            f"lambda-studio: async invoke {event.request_id} of {event.name} was not run successfully: {why}"
        )
        self._done(event)

    def join(self, timeout_s: float) -> bool:
        """Waits until every accepted event has run or been reported; False on timeout. Blocks."""
        end = time.monotonic() + timeout_s
        with self.cond:
            while self.pending:
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self.cond.wait(min(left, 0.5))
        return True

    def close(self) -> None:
        """Stops taking events; events still waiting are reported in the log (not silently dropped)."""
        with self.cond:
            self.closed = True
            left = [item[2] for heap in self.waiting.values() for item in heap]
            self.waiting.clear()
            self.cond.notify_all()
        for event in left:
            self._give_up(event, "serve stopped before it ran")


def _error_text(body: bytes) -> str:
    try:
        data = json.loads(body)
        return f"{data.get('errorType')}: {data.get('errorMessage')}"
    except (ValueError, AttributeError):
        return body[:200].decode("utf-8", "replace")


class InvokeServer:
    """Serves the Invoke API for a changing set of functions (``functions`` is read per request).

    A function is an Emulator or anything with ``invoke(payload, *, client_context=None)`` returning an
    object with request_id, body, function_error, log_text and report() (an Invocation or an
    ``Answer``), raising Throttled when busy; optional recent_log(id), reload(), debug_hold(held).
    Event invokes go through ``async_queue``; its reports go to ``log`` (stderr by default).
    """

    def __init__(
        self,
        functions: Callable[[], Mapping[str, Any]],
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        log: LogSink | None = None,
        retry_delays: Sequence[float] = RETRY_DELAYS_S,
        async_queue_bytes: int = ASYNC_QUEUE_BYTES,
        token: str | None = None,
    ) -> None:
        self.httpd = _QuietServer((host, port), _InvokeApiHandler)
        self.httpd.daemon_threads = True
        self.httpd.functions = functions  # type: ignore[attr-defined]
        self.httpd.token = token  # type: ignore[attr-defined]
        self.async_queue = AsyncQueue(log or _stderr_line, retry_delays, async_queue_bytes)
        self.httpd.async_queue = self.async_queue  # type: ignore[attr-defined]
        self.thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    def start(self) -> InvokeServer:
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.5,), daemon=True)
        self.thread.start()
        return self

    def shutdown(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.async_queue.close()


def _hide_own_proc_entry() -> None:
    """Makes this process non-dumpable (Linux): its /proc entry, environ included, is then root's and
    unreadable to the runtimes, which run as the same non-root user without capabilities."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE, 0
    except (OSError, AttributeError):
        pass


def _in_container() -> bool:
    return os.path.exists("/.dockerenv") or os.environ.get("LAMBDA_STUDIO_IN_CONTAINER") == "1"


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--" not in argv:
        print("usage: emulator.py [options] -- RUNTIME_CMD [ARGS...]", file=sys.stderr)
        return 2
    split = argv.index("--")
    own, runtime_cmd = argv[:split], argv[split + 1 :]
    p = argparse.ArgumentParser(prog="emulator.py", description="A local AWS Lambda for one function.")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--function-name", required=True)
    p.add_argument("--handler", required=True)
    p.add_argument("--memory-mb", type=int, default=128)
    p.add_argument("--timeout", type=float, default=3.0)
    p.add_argument("--concurrency", type=int, default=10)
    p.add_argument("--watch", action="append", default=[])
    p.add_argument("--cwd", default=None)
    p.add_argument("--region", default=os.environ.get("AWS_REGION", "us-east-1"))
    p.add_argument("--account-id", default="123456789012")
    p.add_argument("--init-timeout", type=float, default=10.0)
    p.add_argument(
        "--debug", action="store_true", help="a debugger holds the runtime: no timeouts, no memory kill"
    )
    p.add_argument("--cgroup-memory", choices=["auto", "on", "off"], default="auto")
    args = p.parse_args(own)
    if not runtime_cmd:
        p.error("no runtime command after --")
    cgroup = args.cgroup_memory == "on" or (args.cgroup_memory == "auto" and _in_container())
    token = os.environ.pop(TOKEN_ENV, None)  # never in a runtime's environment
    if token is not None:
        _hide_own_proc_entry()
    emu = Emulator(
        function_name=args.function_name,
        handler=args.handler,
        runtime_cmd=runtime_cmd,
        memory_mb=args.memory_mb,
        timeout_s=args.timeout,
        cwd=args.cwd,
        concurrency=args.concurrency,
        watch=args.watch,
        echo_stdout=True,
        region=args.region,
        account_id=args.account_id,
        cgroup_memory=cgroup,
        init_timeout_s=args.init_timeout,
        debug=args.debug,
    )
    server = InvokeServer(lambda: {args.function_name: emu}, args.host, args.port, token=token)
    stop = threading.Event()

    def _stop(signum: int, frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    server.start()
    print(f"lambda-studio-emulator listening on {args.host}:{server.port}", file=sys.stderr, flush=True)
    while not stop.wait(1.0):
        pass
    server.shutdown()
    emu.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
