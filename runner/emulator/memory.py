"""The memory of a runtime's process tree: /proc, ps or Win32, or the container's cgroup."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time

TREE_TTL_S = 0.25  # how long a walk of a runtime's process tree is reused (current(), peak())


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
        # root pid -> (when walked, the tree's pids that are the function's, not bwrap's): current()
        # runs every 5-20 ms per running invoke, and re-walking the tree each time was most of serve's
        # CPU under load; a child forked since the last walk is counted within TREE_TTL_S.
        self._trees: dict[int, tuple[float, list[int]]] = {}
        self._page = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096

    def _function_pids(self, pid: int) -> list[int]:
        now = time.monotonic()
        cached = self._trees.get(pid)
        if cached is not None and now - cached[0] < TREE_TTL_S:
            return cached[1]
        pids = []
        for p in self._tree(pid):
            try:
                with open(f"/proc/{p}/comm") as f:
                    if f.read().strip() == "bwrap":
                        continue  # the sandbox's own plumbing (runner/backends/process/sandbox.py), not the function's
            except OSError:
                continue
            pids.append(p)
        if len(self._trees) > 256:
            self._trees.clear()
        if pids:  # none yet (a sandbox still starting its runtime): walk again next time, not for TREE_TTL_S
            self._trees[pid] = (now, pids)
        return pids

    def _resident(self, pid: int) -> int:
        total = 0
        for p in self._function_pids(pid):
            try:
                with open(f"/proc/{p}/statm", "rb") as f:
                    total += int(f.read().split()[1]) * self._page  # resident pages, as VmRSS
            except (OSError, ValueError, IndexError):
                pass
        return total

    @staticmethod
    def _tree(pid: int) -> list[int]:
        out, todo = [], [pid]
        while todo:
            p = todo.pop()
            out.append(p)
            todo.extend(MemoryProbe.children(p))
        return out

    @staticmethod
    def children(pid: int) -> list[int]:
        """The direct children of a process (of any of its threads); [] when it is gone."""
        found: list[int] = []
        try:
            for tid in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{tid}/children") as f:
                    found.extend(int(c) for c in f.read().split())
        except OSError:
            pass
        return found

    def _status(self, pid: int, key: str) -> int:
        """The sum of a /proc status field over the function's processes (the walk current() keeps)."""
        total = 0
        needle = "\n" + key
        for p in self._function_pids(pid):
            try:
                with open(f"/proc/{p}/status") as f:
                    text = f.read()  # one read and two finds
            except OSError:
                continue
            at = text.find(needle)
            if at >= 0:
                with contextlib.suppress(ValueError, IndexError):
                    total += int(text[at + len(needle) : text.find("\n", at + 1)].split()[0]) * 1024
        return total

    def current(self, pid: int) -> int:
        """Resident bytes of the process tree now (0 when unknown)."""
        if self.proc:
            return self._resident(pid)
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
