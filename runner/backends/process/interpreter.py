"""Which Python interpreter runs a function locally: one of the function's own version when one is installed.

The process backend runs a `python3.12` function on a Python 3.12 found on this machine (PATH, /usr/bin,
/usr/local/bin, pyenv, uv, asdf, python.org's Windows folders), else on its default interpreter (ours, or
one on PATH in a frozen bundle) and says so. Each candidate is run once (`-c` version check, cached), so
broken shims and links are never chosen.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

SEARCH_ENV = "LAMBDA_STUDIO_PYTHON_SEARCH"  # "off": never look for other interpreters
PIN_ENV = "LAMBDA_STUDIO_PYTHON_{major}_{minor}"  # e.g. LAMBDA_STUDIO_PYTHON_3_12=/opt/py312/bin/python3
CHECK_TIMEOUT_S = 10.0
_VERSION = re.compile(r"^(\d+)\.(\d+)$")
_PROBE = "import sys;print('%d.%d' % sys.version_info[:2])"


@dataclass(frozen=True)
class Interpreter:
    """An interpreter that runs functions: its path, its 'X.Y' version, whether it is ours, how found."""

    path: str
    version: str | None  # None: it could not be run (the spawn then fails with its own error)
    own: bool  # Lambda Studio's own interpreter (its AWS SDK and debugpy can be linked in)
    source: str  # "own", "default", "pinned" or "found"


def default_python() -> str:
    """The interpreter that runs functions: ours; in a frozen bundle (whose executable is not a Python),
    $LAMBDA_STUDIO_PYTHON or the first python3/python on PATH."""
    if not getattr(sys, "frozen", False):
        return sys.executable
    override = os.environ.get("LAMBDA_STUDIO_PYTHON")
    if override:
        return override
    for name in ("python3", "python"):
        found = shutil.which(name)
        if found:
            return found
    return "python3"  # spawning it fails with a clear "not found" error in the log


def is_own(python: str) -> bool:
    """True when `python` is the interpreter running Lambda Studio (and we are not a frozen bundle)."""
    if getattr(sys, "frozen", False):
        return False
    return os.path.realpath(python) == os.path.realpath(sys.executable)


_lock = threading.Lock()
_checked: dict[tuple[str, int, int], str | None] = {}


def version_of(python: str) -> str | None:
    """The 'X.Y' version of this interpreter, by running it once (cached by file and its mtime); None when it
    does not run or answers something else (a broken pyenv shim exits 127). Blocks up to 10 s the first time."""
    if is_own(python):
        return f"{sys.version_info[0]}.{sys.version_info[1]}"
    located = python if os.path.isabs(python) else shutil.which(python)
    if not located:
        return None
    try:
        stat = os.stat(located)  # follows links: a relinked python3.12 is checked again
    except OSError:
        return None
    key = (os.path.abspath(located), stat.st_mtime_ns, stat.st_size)
    with _lock:
        if key in _checked:
            return _checked[key]
    try:
        proc = subprocess.run(
            [located, "-S", "-c", _PROBE],
            capture_output=True,
            text=True,
            timeout=CHECK_TIMEOUT_S,
            stdin=subprocess.DEVNULL,
        )
        out = proc.stdout.strip() if proc.returncode == 0 else ""
    except (OSError, subprocess.SubprocessError):
        out = ""
    version = out if _VERSION.match(out) else None
    with _lock:
        _checked[key] = version
    return version


def forget() -> None:
    """Drops every cached check (for tests, and after the user installs an interpreter)."""
    with _lock:
        _checked.clear()


def _version_key(path: str) -> tuple[int, ...]:
    """Sorts pyenv/uv/asdf folders by their full version: 3.12.10 after 3.12.9."""
    return tuple(int(n) for n in re.findall(r"\d+", os.path.basename(path.rstrip("/\\")))[:3])


def candidates(version: str, env: Mapping[str, str] | None = None) -> Iterator[str]:
    """Where a Python `version` ('3.12') may be installed, most likely first (not yet checked to run)."""
    env = os.environ if env is None else env
    name = f"python{version}"
    exe = ".exe" if sys.platform == "win32" else ""
    for folder in env.get("PATH", "").split(os.pathsep):
        if folder:
            yield os.path.join(folder, name + exe)
    yield from (f"/usr/local/bin/{name}", f"/usr/bin/{name}", f"/opt/homebrew/bin/{name}")
    home = env.get("HOME") or env.get("USERPROFILE") or str(Path.home())
    roots = [
        (env.get("PYENV_ROOT") or os.path.join(home, ".pyenv"), "versions", f"{version}.*", "bin"),
        (os.path.join(home, ".local", "share", "uv"), "python", f"cpython-{version}.*", "bin"),
        (env.get("ASDF_DATA_DIR") or os.path.join(home, ".asdf"), "installs/python", f"{version}.*", "bin"),
    ]
    for root, middle, pattern, bin_dir in roots:
        found = glob.glob(os.path.join(glob.escape(root), middle, pattern))
        for folder in sorted(found, key=_version_key, reverse=True):  # the newest patch release first
            yield os.path.join(folder, bin_dir, name)
    if sys.platform == "win32":  # python.org's installer, per user and for everyone
        digits = version.replace(".", "")
        for base in (env.get("LOCALAPPDATA", "") + r"\Programs\Python", env.get("ProgramFiles", "")):
            if base:
                yield os.path.join(base, f"Python{digits}", "python.exe")


def find_python(version: str, env: Mapping[str, str] | None = None) -> str | None:
    """The first installed interpreter that runs and reports this 'X.Y' version; blocks (runs candidates)."""
    env = os.environ if env is None else env
    if env.get(SEARCH_ENV, "").lower() in ("off", "0", "no", "false"):
        return None
    seen: set[str] = set()
    for path in candidates(version, env):
        if path in seen or not os.path.isfile(path) or not os.access(path, os.X_OK):
            continue
        seen.add(path)
        if version_of(path) == version:
            return path
    return None


def choose(
    version: str | None,
    default: str,
    pins: Mapping[str, str] | None = None,
    env: Mapping[str, str] | None = None,
) -> Interpreter:
    """The interpreter for a function of this Python version; blocks (may run candidates once).

    A pin for the version (``pins``, else $LAMBDA_STUDIO_PYTHON_3_12) wins; then `default` when it is of
    that version; then an installed one of that version; else `default`, whose version then differs."""
    env = os.environ if env is None else env
    own = is_own(default)
    if version is None or not _VERSION.match(version):
        return Interpreter(default, version_of(default), own, "own" if own else "default")
    major, minor = version.split(".")
    pinned = (pins or {}).get(version) or env.get(PIN_ENV.format(major=major, minor=minor))
    if pinned:
        return Interpreter(pinned, version_of(pinned), is_own(pinned), "pinned")
    default_version = version_of(default)
    if default_version == version:
        return Interpreter(default, default_version, own, "own" if own else "default")
    found = find_python(version, env)
    if found is not None:
        return Interpreter(found, version, is_own(found), "found")
    return Interpreter(default, default_version, own, "own" if own else "default")
