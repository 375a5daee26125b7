"""Shared set-up for the tests that run `serve`: a small SAM project on disk, serve in a thread, boto3."""

from __future__ import annotations

import argparse
import textwrap
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.projects import write_project as write_files

HEALTH_PATH = "/lambda-studio/health"


def write_project(root: Path, template: str, app: str, files: Mapping[str, str] | None = None) -> Path:
    """Writes template.yaml, src/app.py (dedented) and any other `files` (relative path: text) under root."""
    return write_files(root, template, {"src/app.py": textwrap.dedent(app), **(files or {})})


def wait_healthy(url: str, limit_s: float, alive: Callable[[], bool] = lambda: True) -> bool:
    """Blocks until serve at `url` answers its health check (True), or the limit passes or `alive()` is False."""
    deadline = time.monotonic() + limit_s
    while True:
        try:
            urllib.request.urlopen(url + HEALTH_PATH, timeout=1).read()
            return True
        except OSError:
            if not alive() or time.monotonic() >= deadline:
                return False
            time.sleep(0.05)


@contextmanager
def serving(project: Path, **options: Any) -> Iterator[str]:
    """`lambda-studio serve project` in a thread on a free port (options as the CLI's); yields its URL."""
    from app.commands import serve
    from runner.ports import free_port

    port = free_port()
    stop = threading.Event()
    args = argparse.Namespace(project=str(project), port=port, host="127.0.0.1", env_vars=None, **options)
    thread = threading.Thread(target=serve.run, args=(args, stop), daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    try:
        assert wait_healthy(url, 20, thread.is_alive), "serve did not start"
        yield url
    finally:
        stop.set()
        thread.join(10)


def lambda_client(url: str, max_pool: int = 10) -> Any:
    """A boto3 Lambda client for serve at `url`: dummy keys, no retries (a throttle must reach the test)."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "lambda", endpoint_url=url, region_name="us-east-1", aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(retries={"max_attempts": 0, "mode": "standard"}, max_pool_connections=max_pool),
    )  # fmt: skip
