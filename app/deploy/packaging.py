"""Deterministic deployment zips for functions and layers, with dependencies installed for Lambda's platform."""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import os
import shutil
import tempfile
import time
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.deploy.errors import KIND_INVALID, KIND_LIMIT, DeployError
from app.deploy.progress import STEP_PACKAGE, CancelLike, Progress, Sink, check_cancel, null_sink
from app.project.model import FunctionSpec, LayerSpec
from runner.deps import (
    COMPLETE,
    MACHINES,
    PipError,
    lambda_pip_platforms,
    lambda_wheel_args,
    pip_install_once,
)

MB = 1024 * 1024
FIXED_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip can hold: same bytes on every build
EXCLUDED_DIRS = {
    ".git", ".hg", ".svn", "__pycache__", "tests", ".venv", "venv", "events", ".aws-sam",
    ".pytest_cache", ".mypy_cache", ".ruff_cache", ".tox", ".idea", ".vscode", "node_modules",
}  # fmt: skip
EXCLUDED_FILES = {".DS_Store", ".lambdaignore", "Thumbs.db"}
EXCLUDED_SUFFIXES = (".pyc", ".pyo")
IGNORE_FILE = ".lambdaignore"


@dataclass(frozen=True)
class Limits:
    """Lambda's package limits; tests lower them rather than build 50 MB files."""

    direct_upload_bytes: int = 50 * MB
    unzipped_bytes: int = 250 * MB


@dataclass(frozen=True)
class PackageResult:
    """A built zip and the numbers a plan needs; `sha256` is base64, exactly as Lambda's CodeSha256."""

    path: Path
    sha256: str
    sha256_hex: str
    zipped_size: int
    unzipped_size: int
    files: int
    deps_cached: bool | None
    seconds: float

    def to_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "sha256": self.sha256,
            "zipped_size": self.zipped_size,
            "unzipped_size": self.unzipped_size,
            "files": self.files,
            "deps_cached": self.deps_cached,
            "seconds": round(self.seconds, 3),
        }


def human_size(n: int) -> str:
    if n >= MB:
        return f"{n / MB:.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n} B"


class IgnoreRules:
    """The patterns of a .lambdaignore: gitignore-like (`dir/`, `/anchored`, `*.glob`, `!negation`)."""

    def __init__(self, lines: Sequence[str] = ()) -> None:
        self.rules: list[tuple[str, bool, bool, bool]] = []  # pattern, negate, dir_only, anchored
        for raw in lines:
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            negate = line.startswith("!")
            if negate:
                line = line[1:]
            dir_only = line.endswith("/")
            line = line.rstrip("/")
            anchored = "/" in line
            line = line.lstrip("/")
            if line:
                self.rules.append((line, negate, dir_only, anchored))

    @classmethod
    def load(cls, root: Path) -> IgnoreRules:
        try:
            return cls((root / IGNORE_FILE).read_text(encoding="utf-8").splitlines())
        except OSError:
            return cls()

    def ignored(self, rel: str, is_dir: bool) -> bool:
        """True if the POSIX path `rel` (relative to the code root) is excluded; the last match wins."""
        result = False
        name = rel.rsplit("/", 1)[-1]
        for pattern, negate, dir_only, anchored in self.rules:
            if dir_only and not is_dir:
                continue
            target = rel if anchored else name
            if fnmatch.fnmatchcase(target, pattern) or (
                anchored and pattern.startswith("**/") and fnmatch.fnmatchcase(rel, pattern[3:])
            ):
                result = not negate
        return result


def _is_venv(path: Path) -> bool:
    return (path / "pyvenv.cfg").is_file()


def collect_files(root: Path, *, default_excludes: bool = True, prefix: str = "") -> dict[str, Path]:
    """The files of `root` that go into a package, keyed by their (sorted, POSIX) name in the zip."""
    rules = IgnoreRules.load(root) if default_excludes else IgnoreRules()
    out: dict[str, Path] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        rel_dir = here.relative_to(root).as_posix()
        rel_dir = "" if rel_dir == "." else rel_dir + "/"
        keep = []
        for d in sorted(dirnames):
            if d == "__pycache__" or (
                default_excludes
                and (d in EXCLUDED_DIRS or _is_venv(here / d) or rules.ignored(rel_dir + d, True))
            ):
                continue
            keep.append(d)
        dirnames[:] = keep
        for f in sorted(filenames):
            if f.endswith(EXCLUDED_SUFFIXES):
                continue
            if default_excludes and (f in EXCLUDED_FILES or rules.ignored(rel_dir + f, False)):
                continue
            path = here / f
            if not path.is_file():  # broken symlinks, sockets
                continue
            out[prefix + rel_dir + f] = path
    return out


def write_zip(entries: dict[str, Path | bytes], dest: Path) -> tuple[int, int]:
    """Write a reproducible zip (sorted names, fixed dates and modes); returns (files, unzipped bytes)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=dest.name, suffix=".part", dir=dest.parent)
    os.close(fd)
    total = 0
    try:
        with zipfile.ZipFile(tmp_name, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for name in sorted(entries):
                src = entries[name]
                info = zipfile.ZipInfo(name, date_time=FIXED_DATE)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.create_system = 3  # Unix, so Lambda reads the mode bits below
                if isinstance(src, bytes):
                    mode, size = 0o644, len(src)
                else:
                    st = src.stat()
                    mode = 0o755 if st.st_mode & 0o111 else 0o644
                    size = st.st_size
                info.external_attr = (0o100000 | mode) << 16
                info.file_size = size
                total += size
                if isinstance(src, bytes):
                    zf.writestr(info, src)
                else:
                    with src.open("rb") as fin, zf.open(info, "w", force_zip64=size > 2**31) as fout:
                        shutil.copyfileobj(fin, fout, 1024 * 1024)
        os.replace(tmp_name, dest)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return len(entries), total


def file_sha256(path: Path) -> tuple[str, str]:
    """(base64, hex) SHA-256 of a file: base64 is how Lambda reports CodeSha256."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1024 * 1024), b""):
            h.update(chunk)
    return base64.b64encode(h.digest()).decode("ascii"), h.hexdigest()


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


def _safe_name(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name) or "package"


def _check_unzipped(label: str, unzipped: int, limits: Limits, detail: str = "") -> None:
    if unzipped > limits.unzipped_bytes:
        raise DeployError(
            f"{label} is {human_size(unzipped)} unzipped{detail}; Lambda allows "
            f"{human_size(limits.unzipped_bytes)} unzipped, including layers.",
            "Move large dependencies into a layer or a container image, or add patterns to .lambdaignore.",
            KIND_LIMIT,
        )


def _build(
    entries: dict[str, Path | bytes], dest: Path, deps_cached: bool | None, started: float
) -> PackageResult:
    files, unzipped = write_zip(entries, dest)
    b64, hexd = file_sha256(dest)
    return PackageResult(
        dest, b64, hexd, dest.stat().st_size, unzipped, files, deps_cached, time.perf_counter() - started
    )


def package_function(
    fn: FunctionSpec,
    *,
    cache_dir: Path,
    sink: Sink = null_sink,
    cancel: CancelLike | None = None,
    limits: Limits | None = None,
    pip_command: Sequence[str] | None = None,
) -> PackageResult:
    """Blocks: build the deployment zip of a function (code + requirements) under cache_dir/packages/."""
    started = time.perf_counter()
    limits = limits or Limits()
    if fn.package_type != "Zip" or fn.image_uri:
        raise DeployError(f"{fn.logical_id} is a container image function; only zip functions deploy here.")
    check_cancel(cancel, "packaging")
    sink(Progress(STEP_PACKAGE, f"packaging {fn.function_name}"))
    dest = cache_dir / "packages" / f"{_safe_name(fn.function_name)}.zip"
    entries: dict[str, Path | bytes] = {}
    deps_cached: bool | None = None
    if fn.inline_code is not None:
        entries["index.py"] = fn.inline_code.encode("utf-8")
    elif fn.code_dir is None or not fn.code_dir.is_dir():
        raise DeployError(
            f"The code folder of {fn.logical_id} ({fn.code_dir}) does not exist.",
            "Fix CodeUri in the template.",
            KIND_INVALID,
        )
    else:
        req = fn.requirements_file
        if req is not None and req.read_text(encoding="utf-8", errors="replace").strip():
            arch = (fn.architectures or ["x86_64"])[0]
            deps, deps_cached = install_requirements(
                req,
                pyver=python_version(fn.runtime),
                architecture=arch,
                cache_dir=cache_dir,
                sink=sink,
                cancel=cancel,
                pip_command=pip_command,
            )
            entries.update(collect_files(deps, default_excludes=False))
            entries.pop(".complete", None)
        entries.update(collect_files(fn.code_dir))  # the function's own files win over dependencies
    check_cancel(cancel, "writing the zip")
    unzipped = sum(len(v) if isinstance(v, bytes) else v.stat().st_size for v in entries.values())
    _check_unzipped(f"The package of {fn.function_name}", unzipped, limits)
    result = _build(entries, dest, deps_cached, started)
    sink(
        Progress(
            STEP_PACKAGE,
            f"{fn.function_name}: {result.files} files, {human_size(result.zipped_size)} zipped, "
            f"{human_size(result.unzipped_size)} unzipped",
            1.0,
        )
    )
    return result


def layer_name(layer: LayerSpec) -> str:
    """The name a local layer is published under (letters, digits, - and _)."""
    raw = layer.name if layer.name and "${" not in layer.name else None  # unresolved !Sub: use the id
    raw = raw or layer.logical_id or (layer.content_dir.name if layer.content_dir else "layer")
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in raw)[:140]


def package_layer(
    layer: LayerSpec,
    *,
    runtime: str | None,
    architecture: str,
    cache_dir: Path,
    sink: Sink = null_sink,
    cancel: CancelLike | None = None,
    limits: Limits | None = None,
    pip_command: Sequence[str] | None = None,
) -> PackageResult:
    """Blocks: zip a local layer's content as given (python/...), plus its requirements.txt into python/."""
    started = time.perf_counter()
    limits = limits or Limits()
    if layer.content_dir is None or not layer.content_dir.is_dir():
        raise DeployError(f"The content folder of layer {layer.label} ({layer.content_dir}) does not exist.")
    check_cancel(cancel, "packaging the layer")
    name = layer_name(layer)
    sink(Progress(STEP_PACKAGE, f"packaging layer {name}"))
    entries: dict[str, Path | bytes] = {}
    deps_cached: bool | None = None
    req = layer.content_dir / "requirements.txt"
    if req.is_file() and req.read_text(encoding="utf-8", errors="replace").strip():
        deps, deps_cached = install_requirements(
            req,
            pyver=python_version(runtime or next(iter(layer.compatible_runtimes), None)),
            architecture=architecture,
            cache_dir=cache_dir,
            sink=sink,
            cancel=cancel,
            pip_command=pip_command,
        )
        entries.update(collect_files(deps, default_excludes=False, prefix="python/"))
        entries.pop("python/.complete", None)
    entries.update(collect_files(layer.content_dir))
    unzipped = sum(len(v) if isinstance(v, bytes) else v.stat().st_size for v in entries.values())
    _check_unzipped(f"Layer {name}", unzipped, limits)
    return _build(entries, cache_dir / "packages" / f"layer-{_safe_name(name)}.zip", deps_cached, started)
