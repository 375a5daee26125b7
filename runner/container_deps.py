"""A function's requirements.txt, installed once for the container's Linux Python (not the host's)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from runner.container_engine import ContainerBackendError

LogSink = Callable[[str], None]


def ensure_container_requirements(
    requirements: Path, python_version: str, architecture: str, cache_dir: Path, log: LogSink | None = None
) -> Path | None:
    """A layer-shaped dir (``<dir>/python/...``) holding the requirements as Linux wheels; None if empty.

    pip on the host downloads manylinux wheels for the container's Python and architecture, so this
    works from macOS and Windows too. Cached by content, version and architecture. Blocks (pip).
    """
    text = requirements.read_bytes()
    lines = [ln.strip() for ln in text.decode("utf-8", "replace").splitlines()]
    if not any(ln and not ln.startswith("#") for ln in lines):
        return None
    key = hashlib.sha256(text + f"{python_version} {architecture}".encode()).hexdigest()[:20]
    target = cache_dir / "container-deps" / key
    marker = target.parent / f"{key}.complete"
    if marker.exists():
        return target
    shutil.rmtree(target, ignore_errors=True)  # a half-made one from an interrupted install
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f"{key}.", dir=target.parent))
    machine = "aarch64" if architecture == "arm64" else "x86_64"
    if log:
        log(f"lambda-studio: installing {requirements} for Linux Python {python_version} ({machine}), once")
    cmd = [
        sys.executable, "-m", "pip", "install", "--disable-pip-version-check", "--no-input", "-q",
        "--target", str(tmp / "python"), "--only-binary=:all:", "--implementation", "cp",
        "--python-version", python_version, "--platform", f"manylinux2014_{machine}",
        "--platform", f"manylinux_2_28_{machine}", "--platform", "any",
        "-r", str(requirements),
    ]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=requirements.parent)
    if proc.returncode != 0:
        shutil.rmtree(tmp, ignore_errors=True)
        detail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise ContainerBackendError(
            f"Could not install {requirements} for the container (Linux, Python {python_version}, {machine}): "
            + " / ".join(detail)
            + ". Only packages with Linux wheels install this way; or build your own image with them."
        )
    try:
        os.replace(tmp, target)
    except OSError:  # another invoke finished first
        shutil.rmtree(tmp, ignore_errors=True)
    marker.write_text("ok\n")
    return target
