"""Emulator: one function's runtimes (cold starts, concurrency, timeouts, memory kills, REPORT, reloads).

Longer than the house's ~400-line guide: the invoke's life (acquire a runtime, await its answer,
finish with END/REPORT) reads as one piece; the parts that stand alone live in the sibling modules.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from http.server import ThreadingHTTPServer
from typing import TYPE_CHECKING

from .common import (
    BIG_TREE_FILES,
    MAX_SYNC_PAYLOAD,
    RECENT_LOG_BYTES,
    ceil_mb,
    check_request_size,
    code_stamp,
    exit_text,
    now_ts,
)
from .http_base import json_bytes
from .invocation import Invocation, RecentLogs, Throttled
from .memory import MemoryProbe
from .process_tree import OWNER_ENV, owner_marker
from .runtime import Runtime

if TYPE_CHECKING:
    from .common import LogSink


CONCURRENT_SCAN_S = 0.02  # how often a small code tree is scanned while other invokes run


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
        self.owner = owner_marker() if pid_dir else None
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
        self.runtimes: list[Runtime] = []
        self.recent = RecentLogs(recent_log_bytes)  # request id -> log text, capped by bytes
        self.closed = False
        self._snapshot = self._scan() if self.watch else None
        self._next_scan = 0.0
        self._scanned_at = -1e9
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
        if self.pid_dir and self.owner:  # recorded runtimes: what they start is found by the sweep
            env[OWNER_ENV] = self.owner
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
        # Small trees: before every invoke, unless other invokes are in flight (a burst: fifty invokes
        # need not scan fifty times; an edit is picked up within CONCURRENT_SCAN_S). Edit, then invoke,
        # with nothing running: always seen.
        with self.lock:
            in_flight = any(rt.busy for rt in self.runtimes)
        if in_flight and now - self._scanned_at < CONCURRENT_SCAN_S:
            return False
        snap = self._scan()
        self._scanned_at = now
        # A big tree (vendored packages: thousands of files) must not eat the warm path: scan it at
        # most every 0.5 s, below a human's edit-then-invoke time.
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
            rt = Runtime(self)
            self.runtimes.append(rt)
            rt.spawn()

    @property
    def warm_count(self) -> int:
        return sum(1 for rt in self.runtimes if rt.alive and rt.ready_at is not None)

    # -- invoke --
    def _acquire(self) -> Runtime:
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
                rt = Runtime(self)
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

    def _await(self, rt: Runtime, inv: Invocation, cancel: threading.Event | None) -> None:
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
                inv.error = json_bytes({"errorType": "Runtime.InitTimeout", "errorMessage": "INIT timed out"})
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
    def _died_idle(rt: Runtime, inv: Invocation) -> bool:
        if inv.cold or inv.delivered_at is not None or inv.outcome != "success" or rt.init_error is not None:
            return False
        if rt.proc is None:
            return False
        with contextlib.suppress(subprocess.TimeoutExpired):
            rt.proc.wait(timeout=0.5)
        return rt.proc.poll() is not None

    def _finish(self, rt: Runtime, inv: Invocation) -> None:
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
                inv.body = json_bytes(
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
                inv.body = json_bytes({"errorType": "Runtime.ExitError", "errorMessage": msg})
                if inv.delivered_at is None:
                    self.emit(f"START RequestId: {rid} Version: $LATEST", inv)
                self.emit(msg, inv)
                self.emit("Runtime.ExitError", inv)
        elif inv.outcome == "timeout":
            assert inv.delivered_at is not None
            secs = (inv.finished_at or now) - inv.delivered_at
            self.emit(f"{now_ts()} {rid} Task timed out after {secs:.2f} seconds", inv)
            msg = f"RequestId: {rid} Error: Task timed out after {secs:.2f} seconds"
            inv.body = json_bytes({"errorType": "Sandbox.Timedout", "errorMessage": msg})
        elif inv.outcome == "init_error":
            inv.body = inv.error or b"{}"
        elif inv.outcome == "cancelled":
            inv.body = json_bytes(
                {"errorType": "Cancelled", "errorMessage": "Invocation cancelled by the user"}
            )
        if inv.outcome == "init_error" and inv.delivered_at is None:
            self.emit(f"START RequestId: {rid} Version: $LATEST", inv)
        if rt.ready_at is not None and inv.cold:
            inv.init_duration_ms = (rt.ready_at - rt.spawned_at) * 1000
        elif inv.cold:
            inv.init_duration_ms = (now - rt.spawned_at) * 1000
        start = inv.delivered_at if inv.delivered_at is not None else now
        inv.duration_ms = max(0.0, ((inv.finished_at or now) - start) * 1000)
        inv.billed_duration_ms = max(1, math.ceil(inv.duration_ms + (inv.init_duration_ms or 0.0)))
        inv.max_memory_used_mb = ceil_mb(rt.seen_rss) if rt.seen_rss else None
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
