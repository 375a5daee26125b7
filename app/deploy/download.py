"""Downloading a deployed function's code as a new local SAM project, with zip-slip-safe extraction."""

from __future__ import annotations

import base64
import hashlib
import io
import re
import shutil
import stat
import urllib.request
import zipfile
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


def safe_extract(data: bytes | Path, dest: Path) -> list[str]:
    """Check every entry first, then extract; refuses the whole archive if any entry is unsafe."""
    raw = data.read_bytes() if isinstance(data, Path) else data
    try:
        zf = zipfile.ZipFile(io.BytesIO(raw))
    except zipfile.BadZipFile as exc:
        raise DeployError(f"The downloaded code is not a valid zip: {exc}", "", KIND_INVALID) from exc
    root = dest.resolve()
    plan: list[tuple[zipfile.ZipInfo, Path]] = []
    total = 0
    with zf:
        for info in zf.infolist():
            problem = _entry_problem(info)
            target = (root / info.filename.replace("\\", "/")).resolve()
            if problem is None and target != root and root not in target.parents:
                problem = "resolves outside the destination"
            if problem:
                raise UnsafeArchive(
                    f"Refused to extract the archive: entry '{info.filename}' {problem}.",
                    "Nothing was written. The package may have been tampered with.",
                    KIND_INVALID,
                )
            total += info.file_size
            if total > MAX_UNZIPPED:
                raise UnsafeArchive(
                    f"Refused to extract the archive: it unpacks to more than {MAX_UNZIPPED} bytes."
                )
            plan.append((info, target))
        written = []
        for info, target in plan:
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, target.open("wb") as out:
                while chunk := src.read(1024 * 1024):
                    out.write(chunk)
            target.chmod(0o755 if (info.external_attr >> 16) & 0o111 else 0o644)
            written.append(info.filename)
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
    if dest.exists() and any(dest.iterdir()):
        raise DeployError(f"{dest} already exists and is not empty.", "Choose a new folder.", KIND_INVALID)
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
    code_rel = f"src/{re.sub(r'[^A-Za-z0-9_.-]', '_', config['FunctionName'])}"
    staging = dest / code_rel
    created = not dest.exists()
    dest.mkdir(parents=True, exist_ok=True)
    try:
        safe_extract(data, staging)
    except DeployError:
        if created:
            shutil.rmtree(dest, ignore_errors=True)
        raise
    (dest / "template.yaml").write_text(
        yaml.safe_dump(template_for(config, code_rel + "/"), sort_keys=False, default_flow_style=False),
        encoding="utf-8",
    )
    sink(Progress(STEP_DONE, f"{name} downloaded to {dest}", 1.0))
    return dest
