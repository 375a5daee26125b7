"""Our AWS SDK for a runtime on another Python version: a tree of links, compiled once by that interpreter.

A function of python3.12 run on an installed Python 3.12 gets our (pure-Python) boto3 through the link
folder of isolation.py. That folder's sources are in our own installation, whose bytecode is for
our version, so the other interpreter would compile botocore on every cold start (seconds). The mirror
has real folders holding links to each source file (folders without Python sources, like botocore's data,
are one link), so the other interpreter's bytecode goes into the mirror's own __pycache__ folders.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from runner.deps import build_once

COMPILE_TIMEOUT_S = 600.0


def _has_python(folder: Path) -> bool:
    return any(name.endswith(".py") for _dirpath, _dirs, files in os.walk(folder) for name in files)


def _mirror(source: Path, target: Path) -> None:
    """Folders holding Python sources are made; their files, and folders without sources, are linked."""
    target.mkdir()
    for entry in sorted(source.iterdir()):
        if entry.name == "__pycache__":
            continue
        dest = target / entry.name
        if entry.is_dir() and _has_python(entry):
            _mirror(entry, dest)
        else:
            dest.symlink_to(entry.resolve(), target_is_directory=entry.is_dir())


def compile_with(folder: Path, python: str, version: str) -> None:
    """Blocks (once per folder and version): bytecode of that interpreter for a folder of ours (debugpy
    fetched for it), so a runtime does not compile it on every start. A failure only costs speed."""
    mark = folder / f".compiled-py{version}"
    if mark.exists():
        return
    try:
        subprocess.run(
            [python, "-S", "-m", "compileall", "-q", str(folder)],
            capture_output=True,
            timeout=COMPILE_TIMEOUT_S,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        mark.write_text("ok\n")
    except (OSError, subprocess.SubprocessError):
        pass


def sdk_for(linked: Path, python: str, version: str, cache_dir: Path) -> Path:
    """Blocks (once per SDK and version; compiling takes seconds): the SDK folder a runtime on `python`
    (of this 'X.Y' version) imports quickly. Falls back to `linked` itself where links cannot be made."""
    target = Path(cache_dir) / "runtime-packages" / f"{linked.name}-py{version}"

    def build(tmp: Path) -> None:
        tmp.rmdir()  # _mirror makes it
        _mirror(linked, tmp)
        roots = [str(p) for p in sorted(tmp.iterdir())]
        # Compiled in place by that interpreter; a failure only costs speed (it compiles as it imports).
        subprocess.run(
            [python, "-S", "-m", "compileall", "-q", *roots],
            capture_output=True,
            timeout=COMPILE_TIMEOUT_S,
            stdin=subprocess.DEVNULL,
            check=False,
        )

    try:
        return build_once(target, build)[0]
    except (OSError, subprocess.SubprocessError):
        return linked
