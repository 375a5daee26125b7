"""Runtime processes: started from one thread as subreapers, killed as a whole tree, swept after a crash."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import Any

from .memory import MemoryProbe


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


SUBREAPER = _subreaper()


def start_process(cmd: list[str], **kw: Any) -> subprocess.Popen[bytes]:
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


OWNER_ENV = "LAMBDA_STUDIO_OWNER"  # "<pid>:<kernel start time>" of the process that started the runtime


def owner_marker() -> str | None:
    """The value of OWNER_ENV for runtimes started by this process (None where there is no /proc).

    Inherited by everything the runtime starts, a setsid'd or double-forked child included, so the
    sweep finds what left both the runtime's tree and its process group."""
    start = _start_time(os.getpid())
    return f"{os.getpid()}:{start}" if start is not None else None


def _marked_orphans() -> list[int]:
    """Processes of ours (their environ is readable) carrying OWNER_ENV of an owner that is gone
    and started no earlier than that owner (so a reused owner pid never protects or condemns them)."""
    key = b"\0" + OWNER_ENV.encode() + b"="
    alive: dict[str, bool] = {}
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as f:
                environ = b"\0" + f.read()
        except OSError:
            continue  # another user's process, or gone
        at = environ.find(key)
        if at < 0:
            continue
        end = environ.find(b"\0", at + len(key))
        value = environ[at + len(key) : end if end >= 0 else len(environ)].decode(errors="replace")
        owner, _, owner_start = value.partition(":")
        if not owner.isdigit() or not owner_start.isdigit():
            continue
        if value not in alive:
            alive[value] = _start_time(int(owner)) == owner_start
        start = _start_time(int(entry))
        if not alive[value] and start is not None and int(start) >= int(owner_start):
            out.append(int(entry))
    return out


def write_pid_file(pid_dir: str, pid: int, tree: list[tuple[int, str]] | None = None) -> None:
    """Records a runtime and its owner (this process), for sweep_runtimes after a kill -9 of the owner;
    with `tree`, the processes of the runtime's tree last seen (pid, start time): a child that left the
    runtime's group and cleared its environment is still found by its record."""
    record = {
        "pid": pid,
        "start": _start_time(pid),
        "owner": os.getpid(),
        "owner_start": _start_time(os.getpid()),
        "tree": [list(member) for member in tree or []],
    }
    with contextlib.suppress(OSError):
        os.makedirs(pid_dir, exist_ok=True)
        with open(os.path.join(pid_dir, f"{pid}.json"), "w") as f:
            json.dump(record, f)


def _recorded_tree(rec: dict[str, Any]) -> list[tuple[int, str]]:
    out = []
    for item in rec.get("tree") or []:
        with contextlib.suppress(TypeError, ValueError):
            member, start = item
            if start:
                out.append((int(member), str(start)))
    return out


def sweep_runtimes(pid_dir: str) -> list[int]:
    """Kills runtimes left by an owner that is gone (e.g. a kill -9'd serve); returns their pids.

    Only provably ours and provably orphaned: the pid file names the runtime and its owner with
    their kernel start times; a runtime is killed only if it still has that start time and its
    owner does not (dead, or its pid reused), and so is every process of its tree recorded while it
    ran that still has its recorded start time. Then every process of this user whose environment
    carries OWNER_ENV of a dead owner (a setsid'd child that left the runtime's group, orphaned when
    the runtime died). Linux only (elsewhere the records are kept)."""
    killed: list[int] = []
    if not os.path.isdir("/proc/self"):
        return killed
    try:
        names = os.listdir(pid_dir)
    except OSError:
        names = []
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
        for member, member_start in _recorded_tree(rec):  # still the very processes recorded
            if member != pid and _start_time(member) == member_start:
                with contextlib.suppress(OSError):
                    os.kill(member, signal.SIGKILL)
                    killed.append(member)
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
    for pid in _marked_orphans():  # what left the tree and the group (setsid) of a dead owner's runtime
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
    return killed
