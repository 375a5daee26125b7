"""Helpers for the local application's tests: a project on disk, a running LocalCloud, a log to wait on."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from bench.projects import started_cloud, write_project
from tests.conftest import unavailable

__all__ = ["Log", "require_moto", "running_cloud", "wait_until", "write_project"]


def require_moto() -> None:
    """The one skip policy (tests.conftest.unavailable): no moto[server] skips locally, fails under CI=true."""
    try:
        import moto.server  # noqa: F401
    except ImportError as exc:
        unavailable(f"moto[server] is not installed: {exc}")


class Log:
    """A line sink that keeps every line and lets a test wait for one."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._cond = threading.Condition()

    def __call__(self, line: str) -> None:
        with self._cond:
            self.lines.append(line)
            self._cond.notify_all()

    def wait_for(self, predicate: Callable[[str], bool], timeout: float = 30.0, count: int = 1) -> list[str]:
        """The first ``count`` lines matching predicate; fails the test with the log after timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [line for line in self.lines if predicate(line)]
                if len(found) >= count:
                    return found[:count]
                left = deadline - time.monotonic()
                if left <= 0:
                    tail = "\n".join(self.lines[-40:])
                    pytest.fail(f"timed out waiting for {count} matching log line(s); log:\n{tail}")
                self._cond.wait(left)

    def text(self) -> str:
        with self._cond:
            return "\n".join(self.lines)


@contextmanager
def running_cloud(project_dir: Path, backend: Any = None, **start: Any) -> Iterator[tuple[Any, Log]]:
    """A started LocalCloud of the project on a free port (process backend unless given); stopped after."""
    require_moto()
    log = Log()
    with started_cloud(project_dir, log, backend, **start) as cloud:
        yield cloud, log


def wait_until(predicate: Callable[[], Any], timeout: float = 30.0, what: str = "condition") -> Any:
    """Polls predicate every 50 ms until it is truthy; fails the test after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)
