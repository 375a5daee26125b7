"""Downloading a deployed function's code as a new local SAM project, with zip-slip-safe extraction."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import shutil
import stat
import tempfile
import urllib.request
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from app.deploy.connection import Connection
from app.deploy.errors import KIND_INVALID, DeployError, explain
from app.deploy.limits import refuse_name
from app.deploy.progress import STEP_DONE, CancelLike, Progress, Sink, check_cancel, null_sink

MAX_UNZIPPED = 512 * 1024 * 1024  # more than Lambda's 250 MB: anything bigger is not a real package
Fetch = Callable[[str], bytes]


class UnsafeArchive(DeployError):
    """The zip holds an entry that would escape the destination (../, absolute path, symlink)."""


def _entry_problem(info: zipfile.ZipInfo) -> str | None:
    name = info.filename
    if "\x00" in name:
        return "contains a NUL byte"
    norm = name.replace("\\", "/")
    if norm.startswith("/") or re.match(r"^[A-Za-z]:", norm):
        return "is an absolute path"
    if ".." in PurePosixPath(norm).parts:
        return "goes up with '..'"
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return "is a symbolic link"
    if mode and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)) and stat.S_IFMT(mode):
        return "is not a regular file"
    return None


def _refuse(name: str, problem: str) -> UnsafeArchive:
    return UnsafeArchive(
        f"Refused to extract the archive: entry '{name}' {problem}.",
        "Nothing was written. The package may have been tampered with.",
        KIND_INVALID,
    )


def _plan(zf: zipfile.ZipFile, root: Path) -> list[tuple[zipfile.ZipInfo, str]]:
    """Check every entry (paths, types, sizes, file-versus-folder clashes) before writing anything."""
    plan: list[tuple[zipfile.ZipInfo, str]] = []
    files: dict[str, str] = {}  # normalised path -> entry name, for files
    folders: dict[str, str] = {}  # every folder some entry needs -> the entry that needs it
    total = 0
    for info in zf.infolist():
        problem = _entry_problem(info)
        rel = PurePosixPath(info.filename.replace("\\", "/")).as_posix().strip("/")
        target = (root / rel).resolve()
        if problem is None and target != root and root not in target.parents:
            problem = "resolves outside the destination"
        if problem:
            raise _refuse(info.filename, problem)
        parts = rel.split("/") if rel and rel != "." else []
        if not parts and not info.is_dir():
            raise _refuse(info.filename, "has no file name")
        for i in range(1, len(parts) + (1 if info.is_dir() else 0)):
            folder = "/".join(parts[:i])
            if folder in files:
                raise _refuse(
                    info.filename, f"needs '{folder}' to be a folder, but the archive also has it as a file"
                )
            folders.setdefault(folder, info.filename)
        if not info.is_dir():
            if rel in folders:
                raise _refuse(info.filename, f"is a file, but '{folders[rel]}' needs it to be a folder")
            if rel in files:
                raise _refuse(info.filename, "appears twice in the archive")
            files[rel] = info.filename
        total += info.file_size
        if total > MAX_UNZIPPED:
            raise UnsafeArchive(
                f"Refused to extract the archive: it unpacks to more than {MAX_UNZIPPED} bytes."
            )
        plan.append((info, rel))
    return plan


def _write_entry(zf: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path) -> None:
    """Copy one entry, refusing it when its bytes do not match what the archive says about it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    try:
        with zf.open(info) as src, target.open("xb") as out:
            while chunk := src.read(1024 * 1024):
                written += len(chunk)
                if written > info.file_size:
                    raise zipfile.BadZipFile("more data than its declared size")
                out.write(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
        raise _refuse(info.filename, f"is damaged or lies about its size ({exc})") from exc
    if written != info.file_size:
        raise _refuse(info.filename, f"holds {written} bytes but declares {info.file_size}")
    target.chmod(0o755 if (info.external_attr >> 16) & 0o111 else 0o644)


def _extract_into(raw: bytes, folder: Path) -> list[str]:
    try:
        zf = zipfile.ZipFile(io.BytesIO(raw))
    except (zipfile.BadZipFile, ValueError) as exc:
        raise DeployError(f"The downloaded code is not a valid zip: {exc}", "", KIND_INVALID) from exc
    written = []
    with zf:
        for info, rel in _plan(zf, folder.resolve()):
            target = folder / rel
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            _write_entry(zf, info, target)
            written.append(info.filename)
    return written


def _unwritable(dest: Path, exc: OSError) -> DeployError:
    return DeployError(
        f"Could not write the project to {dest}: {exc.strerror or exc}.",
        "Check the folder's permissions and free space; nothing was left behind.",
        KIND_INVALID,
    )


def refuse_taken(dest: Path) -> None:
    """A download goes only into a new folder, or an empty one."""
    if dest.exists() and not (dest.is_dir() and not any(dest.iterdir())):
        raise DeployError(f"{dest} already exists and is not empty.", "Choose a new folder.", KIND_INVALID)


def staging_folder(dest: Path) -> Path:
    """A fresh hidden folder beside `dest`, on the same file system, so the final move is a rename."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".partial", dir=dest.parent))


def _staging_for(dest: Path) -> Path:
    """Refuse a taken `dest`, then make its staging folder; a file-system error says what to check."""
    refuse_taken(dest)
    try:
        return staging_folder(dest)
    except OSError as exc:
        raise _unwritable(dest, exc) from exc


def move_into_place(staging: Path, dest: Path) -> None:
    """Rename the finished staging folder to `dest` (which must be missing or an empty folder)."""
    if dest.is_dir() and not any(dest.iterdir()):
        dest.rmdir()
    os.replace(staging, dest)


def safe_extract(data: bytes | Path, dest: Path) -> list[str]:
    """Check every entry, extract into a folder beside `dest`, and move it into place only when complete.

    Refuses the whole archive if any entry is unsafe, clashes with another, or is damaged; then
    nothing is left behind. `dest` must not exist, or be an empty folder.
    """
    raw = data.read_bytes() if isinstance(data, Path) else data
    staging = _staging_for(dest)
    try:
        written = _extract_into(raw, staging)
        move_into_place(staging, dest)
    except OSError as exc:
        raise _unwritable(dest, exc) from exc
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return written


def _default_fetch(url: str) -> bytes:
    if not url.startswith("https://") and not url.startswith("http://"):
        raise DeployError(f"Unexpected code location {url!r}.")
    with urllib.request.urlopen(url, timeout=60) as resp:  # a presigned S3 URL: no AWS credentials needed
        return bytes(resp.read())


def logical_id_for(name: str) -> str:
    parts = re.split(r"[^A-Za-z0-9]+", name)
    ident = "".join(p[:1].upper() + p[1:] for p in parts if p) or "Function"
    return ident if ident[0].isalpha() else "Fn" + ident


def template_for(config: dict[str, Any], code_uri: str) -> dict[str, Any]:
    """A SAM template reproducing the deployed function's settings."""
    props: dict[str, Any] = {
        "FunctionName": config["FunctionName"],
        "CodeUri": code_uri,
        "Handler": config.get("Handler"),
        "Runtime": config.get("Runtime"),
        "MemorySize": config.get("MemorySize"),
        "Timeout": config.get("Timeout"),
        "Architectures": list(config.get("Architectures") or ["x86_64"]),
    }
    if config.get("Description"):
        props["Description"] = config["Description"]
    env = (config.get("Environment") or {}).get("Variables") or {}
    if env:
        props["Environment"] = {"Variables": dict(env)}
    if config.get("Layers"):
        props["Layers"] = [layer["Arn"] for layer in config["Layers"]]
    if config.get("Role"):
        props["Role"] = config["Role"]
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Transform": "AWS::Serverless-2016-10-31",
        "Description": f"Downloaded by Lambda Studio from {config.get('FunctionArn', config['FunctionName'])}",
        "Resources": {
            logical_id_for(config["FunctionName"]): {
                "Type": "AWS::Serverless::Function",
                "Properties": {k: v for k, v in props.items() if v is not None},
            }
        },
    }


def build_project(data: bytes, config: dict[str, Any], dest: Path) -> None:
    """Write template.yaml and src/<name>/ into a staging folder, then move it to `dest` in one rename."""
    code_rel = f"src/{re.sub(r'[^A-Za-z0-9_.-]', '_', config['FunctionName'])}"
    staging = _staging_for(dest)
    try:
        _extract_into(data, staging / code_rel)
        (staging / "template.yaml").write_text(
            yaml.safe_dump(template_for(config, code_rel + "/"), sort_keys=False, default_flow_style=False),
            encoding="utf-8",
        )
        move_into_place(staging, dest)
    except OSError as exc:  # disk full, no permission: nothing is left behind either
        raise _unwritable(dest, exc) from exc
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def download_function(
    conn: Connection,
    name: str,
    dest: Path,
    *,
    qualifier: str | None = None,
    fetch: Fetch | None = None,
    sink: Sink = null_sink,
    cancel: CancelLike | None = None,
) -> Path:
    """Blocks: fetch the code of a deployed function into a new project folder `dest` (template.yaml + src/)."""
    refuse_name(name)
    refuse_taken(dest)
    kwargs = {"FunctionName": name, **({"Qualifier": qualifier} if qualifier else {})}
    try:
        resp = conn.client("lambda").get_function(**kwargs)
    except Exception as exc:
        raise explain(exc, f"reading function {name}", conn.profile) from exc
    config = resp["Configuration"]
    if config.get("PackageType") == "Image":
        raise DeployError(f"{name} is a container image function: there is no zip to download.")
    location = (resp.get("Code") or {}).get("Location")
    if not location:
        raise DeployError(f"AWS gave no code location for {name}.")
    check_cancel(cancel, "downloading")
    sink(Progress("download", f"downloading the code of {name}"))
    try:
        data = (fetch or _default_fetch)(location)
    except DeployError:
        raise
    except Exception as exc:
        raise DeployError(f"Downloading the code of {name} failed: {exc}", "Try again.", "network") from exc
    expected = config.get("CodeSha256")
    actual = base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")
    if expected and actual != expected:
        raise DeployError(
            f"The downloaded code of {name} does not match its CodeSha256 ({actual} != {expected}).",
            "Try again; if it persists the download was altered on the way.",
            KIND_INVALID,
        )
    check_cancel(cancel, "extracting")
    build_project(data, config, dest)
    sink(Progress(STEP_DONE, f"{name} downloaded to {dest}", 1.0))
    return dest
