"""Installing a function's requirements.txt for Lambda's platform (binary wheels), cached by content."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from app.deploy.cache import touch
from app.deploy.errors import KIND_INVALID, DeployError
from app.deploy.progress import STEP_PACKAGE, CancelLike, Progress, Sink, check_cancel, null_sink

PLATFORMS = {"x86_64": "x86_64", "arm64": "aarch64"}


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
    arch = PLATFORMS.get(architecture)
    if arch is None:
        raise DeployError(f"Unknown architecture '{architecture}' (x86_64 or arm64).", "", KIND_INVALID)
    plats = [f"manylinux2014_{arch}"]
    minor = int(pyver.split(".")[1]) if "." in pyver else 0
    if minor >= 12:  # python3.12+ runs on Amazon Linux 2023 (glibc 2.34): newer wheels fit too
        plats.append(f"manylinux_2_28_{arch}")
    return plats


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
    if (target / ".complete").is_file():
        touch(target / ".complete")  # in use: the cache pruning keeps it
        return target, True
    check_cancel(cancel, "installing the requirements")
    sink(Progress(STEP_PACKAGE, f"installing {requirements.name} for {platforms[0]}, Python {pyver}"))
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=target.name + ".", dir=target.parent))
    cmd = [
        *(pip_command or [sys.executable, "-m", "pip"]),
        "install",
        "--quiet",
        "--disable-pip-version-check",
    ]
    cmd += ["--no-input", "--only-binary=:all:", "--implementation", "cp", "--python-version", pyver]
    for plat in platforms:
        cmd += ["--platform", plat]
    cmd += ["--target", str(tmp), "-r", str(requirements.resolve())]
    log = tmp.with_suffix(".log")
    try:
        with log.open("w+b") as out:
            proc = subprocess.Popen(cmd, cwd=requirements.parent, stdout=out, stderr=subprocess.STDOUT)
            while True:
                try:
                    code = proc.wait(timeout=0.2)
                    break
                except subprocess.TimeoutExpired:
                    if cancel is not None and cancel.is_set():
                        proc.kill()
                        proc.wait()
                        check_cancel(cancel, "installing the requirements")
            out.seek(0)
            text = out.read().decode("utf-8", "replace")
        if code != 0:
            tail = "\n".join(text.strip().splitlines()[-6:])
            raise DeployError(
                f"Installing {requirements} for Lambda ({platforms[0]}, Python {pyver}) failed:\n{tail}",
                "Lambda needs binary wheels for Linux: check the package names and versions; a package that "
                "ships only a source distribution cannot be installed this way.",
                KIND_INVALID,
            )
        (tmp / ".complete").write_text(" ".join(cmd[cmd.index("install") :]) + "\n")
        if target.exists():  # another build won the race; keep its result
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            os.replace(tmp, target)
        return target, False
    finally:
        log.unlink(missing_ok=True)
        if tmp.exists() and tmp != target:
            shutil.rmtree(tmp, ignore_errors=True)
