"""Deterministic deployment zips for functions and layers, with dependencies installed for Lambda's platform."""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import stat
import tempfile
import time
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.deploy.cache import CacheLimits, prune_cache
from app.deploy.errors import KIND_INVALID, KIND_LIMIT, DeployError
from app.deploy.package_guard import (
    IgnoreRules,
    Link,
    link_entry,
    outside_project,
    refuse_secrets,
    refuse_virtual_folder,
    special_file_problem,
    unreadable,
)
from app.deploy.progress import STEP_PACKAGE, CancelLike, Progress, Sink, check_cancel, null_sink
from app.deploy.requirements import install_requirements, python_version
from app.project.model import FunctionSpec, LayerSpec

MB = 1024 * 1024
FIXED_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip can hold: same bytes on every build
EXCLUDED_DIRS = {
    ".git", ".hg", ".svn", "__pycache__", "tests", ".venv", "venv", "events", ".aws-sam",
    ".pytest_cache", ".mypy_cache", ".ruff_cache", ".tox", ".idea", ".vscode", "node_modules",
}  # fmt: skip
EXCLUDED_FILES = {".DS_Store", ".lambdaignore", "Thumbs.db"}
EXCLUDED_SUFFIXES = (".pyc", ".pyo")


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
    warnings: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "sha256": self.sha256,
            "zipped_size": self.zipped_size,
            "unzipped_size": self.unzipped_size,
            "files": self.files,
            "deps_cached": self.deps_cached,
            "seconds": round(self.seconds, 3),
            "warnings": list(self.warnings),
        }


def human_size(n: int) -> str:
    if n >= MB:
        return f"{n / MB:.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n} B"


def _is_venv(path: Path) -> bool:
    return (path / "pyvenv.cfg").is_file()


def collect_files(
    root: Path, *, default_excludes: bool = True, prefix: str = ""
) -> dict[str, Path | bytes | Link]:
    """The files of `root` that go into a package, keyed by their (sorted, POSIX) name in the zip.

    Links inside `root` stay links; a link leading out of it, a special file (FIFO, device, socket)
    or an unreadable folder raises a DeployError naming the path: nothing outside is ever read.
    """
    refuse_virtual_folder(root, "the code folder")
    rules = IgnoreRules.load(root) if default_excludes else IgnoreRules()
    out: dict[str, Path | bytes | Link] = {}

    def walk_error(exc: OSError) -> None:
        raise unreadable(Path(exc.filename or root), exc)

    for dirpath, dirnames, filenames in os.walk(root, onerror=walk_error):
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
            if (here / d).is_symlink():  # os.walk does not descend into it: keep it as a link
                out[prefix + rel_dir + d] = link_entry(root, here / d)
                continue
            keep.append(d)
        dirnames[:] = keep
        for f in sorted(filenames):
            if f.endswith(EXCLUDED_SUFFIXES):
                continue
            if default_excludes and (f in EXCLUDED_FILES or rules.ignored(rel_dir + f, False)):
                continue
            path = here / f
            try:
                mode = path.lstat().st_mode
            except OSError as exc:
                raise unreadable(path, exc) from exc
            if stat.S_ISLNK(mode):
                out[prefix + rel_dir + f] = link_entry(root, path)
            elif stat.S_ISREG(mode):
                out[prefix + rel_dir + f] = path
            else:
                raise special_file_problem(path, mode)
    return out


def entry_size(src: Path | bytes | Link) -> int:
    """The unzipped size of one entry; a file that cannot be read raises a DeployError naming it."""
    if isinstance(src, bytes):
        return len(src)
    if isinstance(src, Link):
        return len(src.target.encode("utf-8"))
    try:
        return src.stat().st_size
    except OSError as exc:
        raise unreadable(src, exc) from exc


def write_zip(entries: Mapping[str, Path | bytes | Link], dest: Path) -> tuple[int, int]:
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
                if isinstance(src, Link):
                    data = src.target.encode("utf-8")
                    info.external_attr = (stat.S_IFLNK | 0o777) << 16
                    info.file_size = len(data)
                    total += len(data)
                    zf.writestr(info, data)
                    continue
                if isinstance(src, bytes):
                    mode, size = 0o644, len(src)
                else:
                    try:
                        st = src.stat()
                    except OSError as exc:
                        raise unreadable(src, exc) from exc
                    mode = 0o755 if st.st_mode & 0o111 else 0o644
                    size = st.st_size
                info.external_attr = (0o100000 | mode) << 16
                info.file_size = size
                total += size
                if isinstance(src, bytes):
                    zf.writestr(info, src)
                    continue
                try:
                    fin = src.open("rb")
                except OSError as exc:
                    raise unreadable(src, exc) from exc
                with fin, zf.open(info, "w", force_zip64=size > 2**31) as fout:
                    try:
                        shutil.copyfileobj(fin, fout, 1024 * 1024)
                    except OSError as exc:
                        raise unreadable(src, exc) from exc
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
    entries: dict[str, Path | bytes | Link],
    dest: Path,
    deps_cached: bool | None,
    started: float,
    warnings: tuple[str, ...] = (),
) -> PackageResult:
    files, unzipped = write_zip(entries, dest)
    b64, hexd = file_sha256(dest)
    return PackageResult(
        dest, b64, hexd, dest.stat().st_size, unzipped, files, deps_cached, time.perf_counter() - started,
        warnings,
    )  # fmt: skip


def _has_requirements(req: Path | None) -> bool:
    if req is None or not req.is_file():
        return False
    try:
        return bool(req.read_text(encoding="utf-8", errors="replace").strip())
    except OSError as exc:
        raise unreadable(req, exc) from exc


def _own_files(
    folder: Path, label: str, project_root: Path | None, allow_secrets: bool, sink: Sink
) -> tuple[dict[str, Path | bytes | Link], tuple[str, ...]]:
    """The files of a code or content folder, checked for links, special files and secrets."""
    warning = outside_project(folder, project_root)
    if warning:
        sink(Progress(STEP_PACKAGE, f"{label}: {warning}"))
    files = collect_files(folder)
    if not allow_secrets:
        refuse_secrets(label, files)
    return files, (warning,) if warning else ()


def _project_root(template_path: Path | None, project_root: Path | None) -> Path | None:
    return project_root or (template_path.parent if template_path is not None else None)


def package_function(
    fn: FunctionSpec,
    *,
    cache_dir: Path,
    sink: Sink = null_sink,
    cancel: CancelLike | None = None,
    limits: Limits | None = None,
    pip_command: Sequence[str] | None = None,
    allow_secrets: bool = False,
    project_root: Path | None = None,
    cache_limits: CacheLimits | None = None,
) -> PackageResult:
    """Blocks: build the deployment zip of a function (code + requirements) under cache_dir/packages/.

    Credential-looking files refuse the package unless allow_secrets; a code folder outside
    project_root (default: the template's folder) is packaged with a loud warning.
    """
    started = time.perf_counter()
    limits = limits or Limits()
    if fn.package_type != "Zip" or fn.image_uri:
        raise DeployError(f"{fn.logical_id} is a container image function; only zip functions deploy here.")
    check_cancel(cancel, "packaging")
    sink(Progress(STEP_PACKAGE, f"packaging {fn.function_name}"))
    dest = cache_dir / "packages" / f"{_safe_name(fn.function_name)}.zip"
    entries: dict[str, Path | bytes | Link] = {}
    deps_cached: bool | None = None
    deps_used: list[Path] = []
    warnings: tuple[str, ...] = ()
    if fn.inline_code is not None:
        entries["index.py"] = fn.inline_code.encode("utf-8")
    elif fn.code_dir is None or not fn.code_dir.is_dir():
        raise DeployError(
            f"The code folder of {fn.logical_id} ({fn.code_dir}) does not exist.",
            "Fix CodeUri in the template.",
            KIND_INVALID,
        )
    else:
        own, warnings = _own_files(
            fn.code_dir, f"the code of {fn.function_name}", _project_root(fn.template_path, project_root),
            allow_secrets, sink,
        )  # fmt: skip
        req = fn.requirements_file
        if req is not None and _has_requirements(req):
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
            deps_used.append(deps)
            entries.update(collect_files(deps, default_excludes=False))
            entries.pop(".complete", None)
        entries.update(own)  # the function's own files win over dependencies
    check_cancel(cancel, "writing the zip")
    unzipped = sum(entry_size(v) for v in entries.values())
    _check_unzipped(f"The package of {fn.function_name}", unzipped, limits)
    result = _build(entries, dest, deps_cached, started, warnings)
    prune_cache(cache_dir, cache_limits, keep={dest, *deps_used})
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
    allow_secrets: bool = False,
    project_root: Path | None = None,
    cache_limits: CacheLimits | None = None,
) -> PackageResult:
    """Blocks: zip a local layer's content as given (python/...), plus its requirements.txt into python/.

    The same guards as package_function: links, special files, secrets, a folder outside the project.
    """
    started = time.perf_counter()
    limits = limits or Limits()
    if layer.content_dir is None or not layer.content_dir.is_dir():
        raise DeployError(f"The content folder of layer {layer.label} ({layer.content_dir}) does not exist.")
    check_cancel(cancel, "packaging the layer")
    name = layer_name(layer)
    sink(Progress(STEP_PACKAGE, f"packaging layer {name}"))
    entries: dict[str, Path | bytes | Link] = {}
    deps_cached: bool | None = None
    deps_used: list[Path] = []
    own, warnings = _own_files(
        layer.content_dir, f"layer {name}", _project_root(layer.template_path, project_root),
        allow_secrets, sink,
    )  # fmt: skip
    req = layer.content_dir / "requirements.txt"
    if _has_requirements(req):
        deps, deps_cached = install_requirements(
            req,
            pyver=python_version(runtime or next(iter(layer.compatible_runtimes), None)),
            architecture=architecture,
            cache_dir=cache_dir,
            sink=sink,
            cancel=cancel,
            pip_command=pip_command,
        )
        deps_used.append(deps)
        entries.update(collect_files(deps, default_excludes=False, prefix="python/"))
        entries.pop("python/.complete", None)
    entries.update(own)
    unzipped = sum(entry_size(v) for v in entries.values())
    _check_unzipped(f"Layer {name}", unzipped, limits)
    dest = cache_dir / "packages" / f"layer-{_safe_name(name)}.zip"
    result = _build(entries, dest, deps_cached, started, warnings)
    prune_cache(cache_dir, cache_limits, keep={dest, *deps_used})
    return result
