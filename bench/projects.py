"""Shared by the benchmarks and the tests: small SAM projects on disk, a started local application or
local API, and stopping a helper subprocess."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def write_project(root: Path, template: str, files: Mapping[str, str]) -> Path:
    """A project folder with template.yaml and the given files (relative path -> text); returns root."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "template.yaml").write_text(template, encoding="utf-8")
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


@contextmanager
def started_cloud(
    project_dir: Path, sink: Callable[[str], None], backend: Any = None, **start: Any
) -> Iterator[Any]:
    """Blocks while starting: the project's LocalCloud (moto in-process) on a free port, its functions on
    `backend` (the process backend unless given); yields the cloud, then stops it and closes the backend."""
    from app.invoke import select_backend
    from app.local.cloud import LocalCloud
    from app.project.loader import load_project

    cloud = LocalCloud(load_project(project_dir), aws_port=0)
    backend = backend or select_backend("process")
    try:
        cloud.start(backend, sink, **start)
        yield cloud
    finally:
        cloud.stop()
        backend.close()


@contextmanager
def started_api(project: Any, backend: Any = None, **options: Any) -> Iterator[Any]:
    """Blocks while starting: a LocalApi of `project` (a folder or a loaded Project) on 127.0.0.1 and a
    free port, its functions on `backend` (the process backend unless given), `options` as LocalApi's;
    yields the started api, then stops it and closes the functions (and so the backend)."""
    from app.invoke import select_backend
    from app.local.api import LocalApi
    from app.local.functions import LocalFunctions
    from app.project.loader import load_project

    loaded = load_project(project) if isinstance(project, (str, Path)) else project
    functions = LocalFunctions(loaded, backend or select_backend("process"))
    try:
        api = LocalApi(loaded, functions, **options).start("127.0.0.1", 0)
        try:
            yield api
        finally:
            api.stop()
    finally:
        functions.close()


def api_port(api: Any) -> int:
    """The port of a started LocalApi's first listener."""
    return int(api.listeners[0].url.rsplit(":", 1)[1])


def stop_process(proc: subprocess.Popen[bytes], wait_s: float = 30) -> None:
    """Blocks up to `wait_s` (and then some): terminate the process, wait for it, kill it if it lingers."""
    proc.terminate()
    try:
        proc.wait(timeout=wait_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
