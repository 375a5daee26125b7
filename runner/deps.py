"""Installing Python packages once into a cache: Lambda's pip platforms, how to run pip, build-once folders.

One place decides which wheels fit a Lambda runtime (``lambda_pip_platforms``), how pip is run even
from the frozen desktop bundle (``pip_command``), and how a folder is made once and shared
(``build_once``: built under a unique temporary name next to its target, marked complete, renamed;
a loser of a race keeps the winner's). The process and container backends, the debugger and the
deployer all install through ``pip_install_once``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

from runner.errors import UserFacingError

COMPLETE = ".complete"
# Lambda's architecture names -> the machine part of a manylinux platform tag.
MACHINES = {"x86_64": "x86_64", "arm64": "aarch64"}
# Python runtimes up to 3.11 run on Amazon Linux 2 (glibc 2.26): only manylinux2014 (glibc 2.17)
# wheels load there. python3.12 and later run on Amazon Linux 2023 (glibc 2.34), which loads
# manylinux_2_28 wheels too. (A 2_28 wheel on python3.11 installs fine and fails at import on Lambda.)
AL2023_FROM = (3, 12)
# The frozen bundle's executable is the app, not a Python: it runs pip when given this first argument.
RUN_PIP_FLAG = "--run-pip"


class CancelLike(Protocol):
    def is_set(self) -> bool: ...


class PipError(UserFacingError):
    """pip could not install what was asked; ``output`` is the tail of what pip said."""

    def __init__(self, message: str, hint: str | None = None, output: str = "") -> None:
        super().__init__(message, hint)
        self.output = output
        self.cancelled = False


def python_version_of(runtime: str) -> tuple[int, int]:
    """'python3.12' or '3.12' -> (3, 12); ValueError for anything else."""
    text = runtime.removeprefix("python")
    major, _, minor = text.partition(".")
    return int(major), int(minor)


def lambda_pip_platforms(python_version: str, architecture: str) -> list[str]:
    """The ``pip --platform`` tags whose wheels load on Lambda for this Python ('3.11') and architecture."""
    machine = MACHINES.get(architecture)
    if machine is None:
        raise UserFacingError(
            f"Unknown architecture '{architecture}'", "Lambda's architectures are x86_64 and arm64"
        )
    platforms = [f"manylinux2014_{machine}"]
    if python_version_of(python_version) >= AL2023_FROM:
        platforms.append(f"manylinux_2_28_{machine}")
    return platforms


def lambda_wheel_args(python_version: str, architecture: str) -> list[str]:
    """pip arguments that pick binary wheels for Lambda's Linux, whatever the host is."""
    args = ["--only-binary=:all:", "--implementation", "cp", "--python-version", python_version]
    for platform in lambda_pip_platforms(python_version, architecture):
        args += ["--platform", platform]
    return args


def pip_command(python: str | None = None) -> list[str]:
    """How to run pip: ``python -m pip``; from the frozen bundle (whose executable is the app), the app's
    own pip entry (``lambda-studio --run-pip``), which runs the pip the bundle ships."""
    python = python or sys.executable
    if getattr(sys, "frozen", False) and os.path.realpath(python) == os.path.realpath(sys.executable):
        return [sys.executable, RUN_PIP_FLAG]
    return [python, "-m", "pip"]


def has_requirements(requirements: Path) -> bool:
    """False when requirements.txt holds only blank lines and comments."""
    text = requirements.read_text(encoding="utf-8", errors="replace")
    return any(line.strip() and not line.strip().startswith("#") for line in text.splitlines())


def cache_key(*parts: bytes | str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode() if isinstance(part, str) else part)
        digest.update(b"\0")
    return digest.hexdigest()[:24]


def build_once(target: Path, build: Callable[[Path], None]) -> tuple[Path, bool]:
    """Blocks: `target` made once by ``build(tmp)``; returns (target, was_already_there).

    ``build`` fills a fresh temporary folder next to the target; on success it is marked complete and
    renamed into place (when another process finished first, theirs is kept). On any error the
    temporary folder is removed and the error raised; a target without its completion mark (an
    interrupted run of an older version) is rebuilt.
    """
    if (target / COMPLETE).exists():
        return target, True
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        build(tmp)
        (tmp / COMPLETE).write_text("ok\n")
        if target.exists() and not (target / COMPLETE).exists():
            shutil.rmtree(target, ignore_errors=True)
        try:
            os.replace(tmp, target)
        except OSError:
            if not (target / COMPLETE).exists():  # not another process finishing first
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target, False


def run_pip(
    args: Sequence[str],
    *,
    python: str | None = None,
    command: Sequence[str] | None = None,
    cwd: Path | None = None,
    cancel: CancelLike | None = None,
) -> str:
    """Blocks: runs ``pip install <args>`` (``command`` replaces ``pip_command(python)``); returns pip's
    output; PipError when it fails. A set `cancel` kills pip within 0.2 s (PipError.cancelled)."""
    pip = list(command) if command else pip_command(python)
    cmd = [*pip, "install", "--disable-pip-version-check", "--no-input", "-q", *args]
    with tempfile.TemporaryFile() as out:
        try:
            proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        except OSError as exc:
            raise PipError(f"cannot run pip ({cmd[0]}): {exc.strerror or exc}", "check the Python setting")
        while True:
            try:
                code = proc.wait(timeout=0.2)
                break
            except subprocess.TimeoutExpired:
                if cancel is not None and cancel.is_set():
                    proc.kill()
                    proc.wait()
                    error = PipError("installing was cancelled")
                    error.cancelled = True
                    raise error
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    if code != 0:
        tail = "\n".join(text.strip().splitlines()[-8:])
        raise PipError(f"pip exit {code}", output=tail)
    return text


def pip_install_once(
    target: Path,
    args: Sequence[str],
    *,
    python: str | None = None,
    command: Sequence[str] | None = None,
    cwd: Path | None = None,
    cancel: CancelLike | None = None,
    subdir: str = "",
) -> tuple[Path, bool]:
    """Blocks: ``pip install --target <target>/<subdir> <args>`` once; (target, was_already_there)."""

    def build(tmp: Path) -> None:
        into = tmp / subdir if subdir else tmp
        run_pip(["--target", str(into), *args], python=python, command=command, cwd=cwd, cancel=cancel)

    return build_once(target, build)
