"""Bundle: how big the desktop bundle is, how long it takes to build, and how fast it starts.

Builds from scratch with packaging/build.py --force into a scratch folder, with a fresh build venv
(pip's wheel cache stays warm: that is what a CI runner with a pip cache sees), then times the
bundled executable against the pip-installed command: `--version` (no Qt), `functions` on the
example, and the window opening the example offscreen and quitting (LAMBDA_STUDIO_QUIT_AFTER_LOAD).
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TITLE = "Bundle"
REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "hello-sam"
RUNS = 7


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def _timed(cmd: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd} failed: {proc.stderr[-1000:]}")
    return elapsed


def _median_ms(cmd: list[str], env: dict[str, str]) -> str:
    _timed(cmd, env)  # warm the page cache: we measure start-up, not the disk
    times = [_timed(cmd, env) for _ in range(RUNS)]
    return f"{statistics.median(times) * 1000:.0f} ms (min {min(times) * 1000:.0f})"


def run() -> str:
    with tempfile.TemporaryDirectory(prefix="lambda-studio-bench-") as scratch:
        tmp = Path(scratch)
        started = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, str(REPO / "packaging" / "build.py"), "--force", "--work", str(tmp / "work")]
            + ["--dist", str(tmp / "dist"), "--venv", str(tmp / "venv")],
            capture_output=True,
            text=True,
            timeout=1800,
        )
        total = time.perf_counter() - started
        if proc.returncode != 0:
            raise RuntimeError(proc.stdout[-2000:] + proc.stderr[-2000:])
        venv_time = re.search(r"build venv ready in (\d+) s", proc.stdout)
        pyinstaller = re.search(r"PyInstaller took (\d+) s", proc.stdout)
        bundle = tmp / "work" / "dist" / "lambda-studio"
        (archive,) = list((tmp / "dist").glob("*.tar.gz"))
        internal = bundle / "_internal"
        bundle_size, archive_size, archive_name = _size(bundle), archive.stat().st_size, archive.name
        qt = internal / "PySide6"
        parts = {
            "Qt + PySide6": _size(qt)
            + sum(_size(p) if p.is_dir() else 0 for p in internal.glob("shiboken6")),
            "Python (libpython + stdlib + extensions)": sum(
                p.stat().st_size for p in internal.glob("libpython*") if not p.is_symlink()
            )
            + _size(internal / f"python{sys.version_info[0]}.{sys.version_info[1]}")
            + (internal / "base_library.zip").stat().st_size,
            "botocore/boto3 data": _size(internal / "botocore") + _size(internal / "boto3"),
            "jedi (typeshed)": _size(internal / "jedi") + _size(internal / "parso"),
            "resources": _size(internal / "resources"),
        }

        env = {k: v for k, v in os.environ.items() if not k.startswith("LAMBDA_STUDIO_")}
        env["LAMBDA_STUDIO_CONFIG_DIR"] = str(tmp / "config")
        gui_env = {**env, "QT_QPA_PLATFORM": "offscreen", "LAMBDA_STUDIO_QUIT_AFTER_LOAD": "1"}
        exe = str(bundle / "lambda-studio")
        pip = str(Path(sys.executable).parent / "lambda-studio")
        rows = []
        for label, args, e in (
            ("`lambda-studio --version`", ["--version"], env),
            ("`lambda-studio functions examples/hello-sam`", ["functions", str(EXAMPLE)], env),
            ("window: start offscreen, open example, quit", [str(EXAMPLE)], gui_env),
        ):
            rows.append(f"| {label} | {_median_ms([exe, *args], e)} | {_median_ms([pip, *args], e)} |")

    mb = 1024 * 1024
    out = [
        "One-folder PyInstaller bundle of this checkout (`make dist`), Linux x86_64.",
        "",
        "| what | size |",
        "|---|---|",
        f"| bundle folder, unpacked | {bundle_size / mb:.0f} MiB |",
        f"| `{archive_name}` | {archive_size / mb:.0f} MiB |",
        *[f"| of which {name} | {size / mb:.0f} MiB |" for name, size in parts.items()],
        "",
        "| build step | time |",
        "|---|---|",
        f"| fresh build venv: runtime deps + PyInstaller (warm pip cache) | {venv_time.group(1) if venv_time else '?'} s |",
        f"| PyInstaller analysis + collect | {pyinstaller.group(1) if pyinstaller else '?'} s |",
        f"| whole first build: venv + PyInstaller + tar.gz | {total:.0f} s |",
        "",
        f"Start-up, median of {RUNS} warm runs (wall clock until the process exits):",
        "",
        "| command | bundle | pip install (project venv) |",
        "|---|---|---|",
        *rows,
    ]
    return "\n".join(out) + "\n"
