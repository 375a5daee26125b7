"""Helpers for the local application's tests: a project on disk, a running LocalCloud, a log to wait on."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest


def require_moto() -> None:
    """Skips the test without moto[server] locally; under CI=true its absence is a failure."""
    try:
        import moto.server  # noqa: F401
    except ImportError as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(
                f"moto[server] is missing: {exc} (CI=true: local cloud tests must run)", pytrace=False
            )
        pytest.skip(f"moto[server] is not installed: {exc}")


def write_project(root: Path, template: str, files: dict[str, str]) -> Path:
    """A project folder with template.yaml and the given files (relative path -> text)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "template.yaml").write_text(template, encoding="utf-8")
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


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
    from app.invoke import select_backend
    from app.local.cloud import LocalCloud
    from app.project.loader import load_project

    project = load_project(project_dir)
    cloud = LocalCloud(project, aws_port=0)
    backend = backend or select_backend("process")
    log = Log()
    try:
        cloud.start(backend, log, **start)
        yield cloud, log
    finally:
        cloud.stop()
        backend.close()


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
