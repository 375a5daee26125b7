"""One runtime process: its private Runtime API endpoint, its output lines, freezing between invokes."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from typing import TYPE_CHECKING, Any

from .common import MAX_LOG_LINE
from .http_base import QuietServer
from .invocation import Invocation
from .memory import MemoryProbe
from .process_tree import SUBREAPER, _start_time, kill_tree, start_process, write_pid_file
from .runtime_api import RuntimeApiHandler

if TYPE_CHECKING:
    from .supervisor import Emulator


class Runtime:
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
        self.recorded: set[int] = set()  # the tree last written to the pid file (_record_tree)
        self.server = QuietServer(("127.0.0.1", 0), RuntimeApiHandler)
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
        if SUBREAPER is not None:
            kw["preexec_fn"] = SUBREAPER
        self.proc = start_process(
            list(self.emu.runtime_cmd),
            cwd=self.emu.cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            **kw,
        )
        if self.emu.pid_dir:
            write_pid_file(self.emu.pid_dir, self.proc.pid)
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
        an event. One walk from the top, each process stopped before its children are read, so a child
        forked during the walk is found too (only a fork already in flight at that instant can finish
        unstopped, as with the two walks this replaces). Walking the whole tree twice to freeze and again
        to thaw was the largest part of serve's CPU at 50 concurrent invokes."""
        proc = self.proc
        if self.frozen or not self.emu.freeze_idle or proc is None or proc.poll() is not None:
            return
        todo, seen = [proc.pid], set()
        while todo:
            p = todo.pop()
            if p in seen:
                continue
            seen.add(p)
            try:
                os.kill(p, signal.SIGSTOP)
            except OSError:
                continue  # gone: so are the children it had (reparented, then found under the reaper)
            self.frozen.append(p)
            todo.extend(MemoryProbe.children(p))
        self._record_tree(proc.pid)

    def _record_tree(self, root: int) -> None:
        """Keeps the runtime's pid file naming every process of its tree (when that changed), so the
        sweep after a kill -9 of the owner finds even a child that left the group and cleared its
        environment (no owner marker). The freeze walk already visited them: no extra walk."""
        if not self.emu.pid_dir or set(self.frozen) == self.recorded:
            return
        self.recorded = set(self.frozen)
        tree = [(p, start) for p in self.frozen if p != root and (start := _start_time(p))]
        write_pid_file(self.emu.pid_dir, root, tree)

    def thaw(self) -> None:
        """SIGCONTs what freeze stopped: nothing else of the tree can have started while it was stopped."""
        frozen, self.frozen = self.frozen, []
        for p in frozen:
            with contextlib.suppress(OSError):
                os.kill(p, signal.SIGCONT)

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
