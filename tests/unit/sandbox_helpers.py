"""Shared helpers of the process-sandbox tests: processes by marker, bwrap presence, a function config."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from runner.config import FunctionConfig


def need_bwrap() -> None:
    """Skips locally when bubblewrap is missing; under CI=true that is a failure (scripts/sandbox-tools.sh)."""
    if shutil.which("bwrap") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("bwrap is missing: run scripts/sandbox-tools.sh")
        pytest.skip("bwrap is not installed (scripts/sandbox-tools.sh installs it)")


def pids_with(marker: str) -> list[int]:
    """Host pids whose command line holds marker (not zombies)."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmd = f.read()
            with open(f"/proc/{entry}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if marker.encode() in cmd and state != "Z":
            out.append(int(entry))
    return out


def wait_gone(marker: str, timeout: float = 5.0) -> list[int]:
    """Waits up to timeout for every process with marker to end; returns those still there."""
    end = time.monotonic() + timeout
    while True:
        left = pids_with(marker)
        if not left or time.monotonic() > end:
            return left
        time.sleep(0.05)


def wait_there(marker: str, count: int = 1, timeout: float = 5.0) -> list[int]:
    end = time.monotonic() + timeout
    while True:
        found = pids_with(marker)
        if len(found) >= count or time.monotonic() > end:
            return found
        time.sleep(0.05)


def kill_all(marker: str) -> None:
    """Test clean-up: ends what a failing test left (only processes holding this test's own marker)."""
    for pid in pids_with(marker):
        try:
            os.kill(pid, 9)
        except OSError:
            pass


def config(code: Path, handler: str = "fn.handler", **kw: object) -> FunctionConfig:
    return FunctionConfig(
        function_id="Fn",
        name="fn",
        handler=handler,
        runtime="python3.11",
        code_dir=code,
        **kw,  # type: ignore[arg-type]
    )


def code_with(folder: Path, source: str) -> Path:
    """A function's code folder (made with its parents) holding fn.py with `source`; returns the folder."""
    folder.mkdir(parents=True)
    (folder / "fn.py").write_text(source)
    return folder
