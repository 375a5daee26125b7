"""A function's requirements.txt, installed once for the container's Linux Python (not the host's)."""

from __future__ import annotations

from pathlib import Path

from runner.backends.container.engine import ContainerBackendError
from runner.backends.contract import LogSink
from runner.deps import COMPLETE, PipError, cache_key, has_requirements, lambda_wheel_args, pip_install_once


def ensure_container_requirements(
    requirements: Path, python_version: str, architecture: str, cache_dir: Path, log: LogSink | None = None
) -> Path | None:
    """A layer-shaped dir (``<dir>/python/...``) holding the requirements as Linux wheels; None if empty.

    pip on the host downloads the wheels Lambda would load for the container's Python and architecture
    (runner.deps.lambda_pip_platforms), so this works from macOS and Windows too. Cached by content,
    version and architecture. Blocks (pip).
    """
    if not has_requirements(requirements):
        return None
    wheel_args = lambda_wheel_args(python_version, architecture)
    target = cache_dir / "container-deps" / cache_key(requirements.read_bytes(), *wheel_args)
    if (target / COMPLETE).exists():
        return target
    machine = "aarch64" if architecture == "arm64" else "x86_64"
    if log:
        log(f"lambda-studio: installing {requirements} for Linux Python {python_version} ({machine}), once")
    try:
        pip_install_once(
            target, [*wheel_args, "-r", str(requirements)], cwd=requirements.parent, subdir="python"
        )
    except PipError as exc:
        detail = " / ".join(exc.output.splitlines()[-3:]) or exc.message
        raise ContainerBackendError(
            f"Could not install {requirements} for the container (Linux, Python {python_version}, {machine}): "
            + detail
            + ". Only packages with Linux wheels install this way; or build your own image with them."
        )
    return target
