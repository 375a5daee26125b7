"""Installing a function's requirements.txt for Lambda's platform (binary wheels), cached by content."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from app.deploy.cache import touch
from app.deploy.errors import KIND_INVALID, DeployError
from app.deploy.progress import STEP_PACKAGE, CancelLike, Progress, Sink, check_cancel, null_sink
from runner.deps import (
    COMPLETE,
    MACHINES,
    PipError,
    lambda_pip_platforms,
    lambda_wheel_args,
    pip_install_once,
)

PLATFORMS = MACHINES  # Lambda's architecture -> manylinux machine (runner.deps decides the tags)


def python_version(runtime: str | None) -> str:
    """'python3.12' -> '3.12'; refuse runtimes that are not Python."""
    if not runtime or not runtime.startswith("python"):
        raise DeployError(
            f"Runtime '{runtime}' is not a Python runtime; Lambda Studio packages Python functions.",
            "Set Runtime to python3.X in the template.",
            KIND_INVALID,
        )
    return runtime[len("python") :]


def pip_platforms(architecture: str, pyver: str) -> list[str]:
    """Lambda's pip platforms for this architecture and Python (decided in runner.deps)."""
    if architecture not in MACHINES:
        raise DeployError(f"Unknown architecture '{architecture}' (x86_64 or arm64).", "", KIND_INVALID)
    return lambda_pip_platforms(pyver, architecture)


def install_requirements(
    requirements: Path,
    *,
    pyver: str,
    architecture: str,
    cache_dir: Path,
    sink: Sink = null_sink,
    cancel: CancelLike | None = None,
    pip_command: Sequence[str] | None = None,
) -> tuple[Path, bool]:
    """Blocks: pip-install `requirements` for Lambda's platform into a cache; returns (dir, was_cached)."""
    platforms = pip_platforms(architecture, pyver)
    key_src = requirements.read_bytes() + "|".join([*platforms, pyver, "cp"]).encode()
    key = hashlib.sha256(key_src).hexdigest()[:24]
    target = cache_dir / "deps" / f"py{pyver}-{architecture}-{key}"
    if (target / COMPLETE).is_file():
        touch(target / COMPLETE)  # in use: the cache pruning keeps it
        return target, True
    check_cancel(cancel, "installing the requirements")
    sink(Progress(STEP_PACKAGE, f"installing {requirements.name} for {platforms[0]}, Python {pyver}"))
    try:
        return pip_install_once(
            target,
            [*lambda_wheel_args(pyver, architecture), "-r", str(requirements.resolve())],
            command=pip_command,
            cwd=requirements.parent,
            cancel=cancel,
        )
    except PipError as exc:
        check_cancel(cancel, "installing the requirements")
        raise DeployError(
            f"Installing {requirements} for Lambda ({platforms[0]}, Python {pyver}) failed:\n"
            + (exc.output or exc.message),
            "Lambda needs binary wheels for Linux: check the package names and versions; a package that "
            "ships only a source distribution cannot be installed this way.",
            KIND_INVALID,
        )
