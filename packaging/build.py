"""Builds the Lambda Studio desktop bundle and its archive, the same way on Linux, macOS and Windows.

    python packaging/build.py            # what `make dist` runs
    python packaging/build.py --help

1. A build venv outside the clone (user cache dir, keyed by the Python version and the dependency
   list) gets the app's runtime dependencies and PyInstaller; the project's own venv stays as it is.
2. PyInstaller runs packaging/lambda-studio.spec (one-folder bundle). Skipped when the bundle of the
   same sources is already there (the key is a hash of app/, runner/, widgets/, resources/,
   packaging/ and pyproject.toml), so repeated builds and test runs cost seconds.
3. The archive: dist/lambda-studio-<version>-linux-x86_64.tar.gz with install.sh/uninstall.sh, the
   desktop entry, AppStream data and icons; on macOS and Windows a .zip of the app (see
   docs/packaging.md).

Stdlib only: it must run with any Python 3.11+ before anything is installed.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python < 3.11
    raise SystemExit(
        f"packaging/build.py needs Python 3.11 or newer (this is {sys.version.split()[0]}); "
        "run e.g. `make dist PYTHON=python3.11`"
    )

ROOT = Path(__file__).resolve().parent.parent
PACKAGING = ROOT / "packaging"
PYINSTALLER = "pyinstaller>=6.10,<7"
NAME = "lambda-studio"
ICON_SIZES = (16, 32, 48, 64, 128, 256, 512)
SOURCE_DIRS = ("app", "runner", "widgets", "resources", "packaging")
APP_ID = "io.lambdastudio.LambdaStudio"


def say(text: str) -> None:
    print(f"build: {text}", flush=True)


def user_cache() -> Path:
    """The platform's user cache folder (what platformdirs would say), without platformdirs."""
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")


def project() -> dict:
    with open(ROOT / "pyproject.toml", "rb") as fh:
        return tomllib.load(fh)["project"]


def version() -> str:
    text = (ROOT / "app" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__ = "([^"]+)"', text, re.M)
    if not match:
        raise SystemExit("build: cannot read __version__ from app/__init__.py")
    return match.group(1)


def platform_tag() -> str:
    system = {"linux": "linux", "darwin": "macos", "win32": "windows"}.get(sys.platform, sys.platform)
    machine = platform.machine().lower()
    machine = {"amd64": "x86_64", "x64": "x86_64", "aarch64": "arm64"}.get(machine, machine)
    return f"{system}-{machine}"


def source_key() -> str:
    """A hash of everything that goes into the bundle: the same key means the same bundle."""
    digest = hashlib.sha256()
    for folder in SOURCE_DIRS:
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes())
    digest.update((ROOT / "pyproject.toml").read_bytes())
    digest.update(f"{sys.version_info[:2]} {platform_tag()}".encode())
    return digest.hexdigest()[:16]


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


def ensure_build_venv(venv: Path | None) -> Path:
    """The build venv with the runtime dependencies and PyInstaller; created once per key; blocks."""
    deps = [*project()["dependencies"], PYINSTALLER]
    key = hashlib.sha256("\n".join([sys.version, platform_tag(), *deps]).encode()).hexdigest()[:12]
    if venv is None:
        venv = user_cache() / "lambda-studio-build" / f"venv-{key}"
        for old in venv.parent.glob("venv-*"):  # venvs of older dependency lists (about 700 MB each)
            if old != venv:
                shutil.rmtree(old, ignore_errors=True)
    ready = venv / ".ready"
    if ready.is_file() and ready.read_text().strip() == key:
        return venv_python(venv)
    say(f"creating the build venv {venv}")
    started = time.monotonic()
    if venv.exists():
        shutil.rmtree(venv)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv_python(venv)
    pip = [str(py), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, *deps], check=True)
    ready.write_text(key + "\n")
    say(f"build venv ready in {time.monotonic() - started:.0f} s")
    return py


def run_pyinstaller(python: Path, work: Path, force: bool) -> Path:
    """Runs the spec unless the bundle of these sources is already built; returns the bundle folder."""
    key = source_key()
    out = work / "dist"
    bundle = out / ("Lambda Studio.app" if sys.platform == "darwin" else NAME)
    stamp = work / "source-key"
    if not force and bundle.is_dir() and stamp.is_file() and stamp.read_text().strip() == key:
        say(f"bundle of sources {key} already built: {bundle}")
        return bundle
    stamp.unlink(missing_ok=True)
    say(f"running PyInstaller (sources {key})")
    started = time.monotonic()
    cmd = [str(python), "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN"]
    cmd += ["--distpath", str(out), "--workpath", str(work / "work"), str(PACKAGING / "lambda-studio.spec")]
    subprocess.run(cmd, check=True, cwd=ROOT)
    stamp.write_text(key + "\n")
    say(f"PyInstaller took {time.monotonic() - started:.0f} s")
    return bundle


def _tar_filter(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def linux_archive(bundle: Path, dist: Path, stage_root: Path) -> Path:
    """dist/lambda-studio-<version>-linux-<arch>.tar.gz: the bundle, install/uninstall scripts, the
    desktop entry, AppStream data and hicolor icons, under one top folder."""
    top = f"{NAME}-{version()}"
    stage = stage_root / top
    if stage_root.exists():
        shutil.rmtree(stage_root)
    share = stage / "share"
    (share / "applications").mkdir(parents=True)
    (share / "metainfo").mkdir()
    linux = PACKAGING / "linux"
    for script in ("install.sh", "uninstall.sh"):
        shutil.copy2(linux / script, stage / script)
        (stage / script).chmod(0o755)
    shutil.copy2(linux / "lambda-studio.desktop", share / "applications")
    shutil.copy2(linux / f"{APP_ID}.metainfo.xml", share / "metainfo")
    icons = ROOT / "resources" / "icons"
    for size in ICON_SIZES:
        folder = share / "icons" / "hicolor" / f"{size}x{size}" / "apps"
        folder.mkdir(parents=True)
        shutil.copy2(icons / f"{NAME}-{size}.png", folder / f"{NAME}.png")
    (share / "icons" / "hicolor" / "scalable" / "apps").mkdir(parents=True)
    shutil.copy2(icons / f"{NAME}.svg", share / "icons" / "hicolor" / "scalable" / "apps" / f"{NAME}.svg")
    archive = dist / f"{top}-{platform_tag()}.tar.gz"
    dist.mkdir(parents=True, exist_ok=True)
    partial = archive.with_name(archive.name + ".part")
    # Level 6: nearly the size of 9 in half the time on a 230 MB bundle.
    with tarfile.open(partial, "w:gz", compresslevel=6) as tar:
        tar.add(stage, arcname=top, filter=_tar_filter)
        tar.add(bundle, arcname=f"{top}/{NAME}", filter=_tar_filter)
    os.replace(partial, archive)
    return archive


def zip_archive(bundle: Path, dist: Path) -> Path:
    """macOS and Windows: a zip of the .app / the bundle folder (installers are future work)."""
    dist.mkdir(parents=True, exist_ok=True)
    base = dist / f"{NAME}-{version()}-{platform_tag()}"
    return Path(shutil.make_archive(str(base), "zip", root_dir=bundle.parent, base_dir=bundle.name))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="packaging/build.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="where the archive goes (dist/)")
    parser.add_argument(
        "--work", type=Path, default=ROOT / "build" / "pyinstaller", help="PyInstaller's folders"
    )
    parser.add_argument("--venv", type=Path, help="build venv to use or create (default: in the user cache)")
    parser.add_argument("--force", action="store_true", help="rebuild even if the sources did not change")
    parser.add_argument("--no-archive", action="store_true", help="stop after the bundle folder")
    parser.add_argument("--print-key", action="store_true", help="print the sources' key and exit")
    args = parser.parse_args(argv)
    if args.print_key:
        print(source_key())
        return 0
    started = time.monotonic()
    python = ensure_build_venv(args.venv)
    bundle = run_pyinstaller(python, args.work.resolve(), args.force)
    say(f"bundle: {bundle}")
    if not args.no_archive:
        if sys.platform.startswith("linux"):
            archive = linux_archive(bundle, args.dist.resolve(), args.work.resolve() / "stage")
        else:
            archive = zip_archive(bundle, args.dist.resolve())
        say(f"archive: {archive} ({archive.stat().st_size / 1e6:.0f} MB)")
    say(f"done in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
