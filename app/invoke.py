"""From the project model to the runner: FunctionSpec → FunctionConfig, events, and backend selection."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from app.fsutil import atomic_write
from app.project.model import FunctionSpec, Project
from runner.backends.contract import Backend, BackendOptions
from runner.backends.process.backend import ProcessBackend
from runner.cache import default_cache_dir
from runner.config import FunctionConfig
from runner.emulator import InvalidEvent, parse_event
from runner.env_vars import apply_env_vars
from runner.result import SetupError

BACKENDS = ("auto", "process", "container")


def inline_code_dir(code: str, cache_dir: Path | None = None) -> Path:
    """A folder holding inline code (InlineCode / Code.ZipFile) as index.py, as Lambda stores it."""
    digest = hashlib.sha256(code.encode("utf-8")).hexdigest()[:16]
    folder = Path(cache_dir or default_cache_dir()) / "inline" / digest
    target = folder / "index.py"
    if not target.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write(target, code)  # two processes may write it at once: each has its own temp file
    return folder


def function_config(
    project: Project,
    spec: FunctionSpec,
    env_vars: Mapping[str, Any] | None = None,
    *,
    region: str | None = None,
    account_id: str | None = None,
) -> FunctionConfig:
    """The runner's description of one function; raises SetupError when it cannot run locally."""
    if spec.package_type.lower() == "image" or spec.image_uri:
        raise SetupError(f"{spec.logical_id} is an image function; run it with --backend container")
    code_dir = spec.code_dir
    if code_dir is None and spec.inline_code is not None:
        code_dir = inline_code_dir(spec.inline_code)
    if code_dir is None:
        where = "S3 code" if spec.code_s3 else "no CodeUri"
        raise SetupError(f"{spec.logical_id} has {where}; give it a local CodeUri to invoke it locally")
    if not spec.handler:
        raise SetupError(f"{spec.logical_id} has no Handler")
    layer_dirs = tuple(layer.content_dir for layer in spec.layers if layer.content_dir is not None)
    logging_config = spec.logging_config or {}
    environment = apply_env_vars(spec.environment, env_vars, spec.logical_id, spec.function_name)
    return FunctionConfig(
        function_id=spec.logical_id,
        name=spec.function_name,
        handler=spec.handler,
        runtime=spec.runtime or "python3.12",
        code_dir=Path(code_dir),
        layer_dirs=layer_dirs,
        environment=environment,
        memory_mb=int(spec.memory_size),
        timeout_s=float(spec.timeout),
        architecture=(spec.architectures or ["x86_64"])[0],
        requirements_file=spec.requirements_file,
        region=region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1",
        account_id=account_id or "123456789012",
        log_format=logging_config.get("LogFormat"),
        log_level=logging_config.get("ApplicationLogLevel"),
        ephemeral_storage_mb=int(spec.ephemeral_storage),
    )


def read_event(source: str | None, stdin: Any = None) -> bytes:
    """The event bytes from a file, '-' (stdin) or nothing ('{}'); raises SetupError unless it is JSON
    as the Invoke API accepts it (no NaN/Infinity; an empty or whitespace-only file is ``{}``)."""
    if source is None:
        return b"{}"
    if source == "-":
        import sys

        data = (stdin or sys.stdin.buffer).read()
    else:
        try:
            data = Path(source).read_bytes()
        except OSError as exc:
            raise SetupError(f"cannot read event file {source}: {exc.strerror or exc}")
    try:  # as the Invoke API reads it: NaN/Infinity refused, empty or whitespace-only means {}
        return parse_event(data)
    except InvalidEvent as exc:
        raise SetupError(f"the event is not valid JSON: {exc}".replace("request body", "event"))


def select_backend(name: str = "auto", **options: Any) -> Backend:
    """The backend for 'auto', 'process' or 'container'; raises SetupError when it cannot be had.

    'auto' runs each invoke in a container when a docker engine answers and the function's image is
    on this machine, else as a local process with a note in the result saying why. Options are
    runner.backends.contract.BackendOptions' fields; each backend gets the part it understands (the one place
    that filters them).
    """
    if name not in BACKENDS:
        raise SetupError(f"unknown backend {name!r}; choose one of {', '.join(BACKENDS)}")
    opts = BackendOptions.from_mapping(options)
    if name == "process":
        return ProcessBackend(**opts.process_kwargs())
    from runner.backends.auto import AutoBackend
    from runner.backends.container.backend import ContainerBackend
    from runner.backends.container.engine import connect
    from runner.backends.container.sandbox import project_label

    client = opts.docker_client
    project = project_label(opts.project)  # by path hash: never another project's
    cache_dir = Path(opts.cache_dir or default_cache_dir()) / "container"
    if name == "container":
        return ContainerBackend(client or connect(), project, cache_dir, **opts.container_kwargs())
    return AutoBackend(
        process_options=opts.process_kwargs(),
        project=project,
        cache_dir=cache_dir,
        client_factory=(lambda: client) if client is not None else connect,
        container_options=opts.container_kwargs(),
    )


def profile_credentials(profile: str) -> dict[str, str]:
    """Real credentials of an AWS profile for the function's environment (only when the user asks)."""
    import boto3
    import botocore.exceptions

    try:
        creds = boto3.Session(profile_name=profile).get_credentials()
    except botocore.exceptions.BotoCoreError as exc:
        raise SetupError(f"AWS profile {profile!r}: {exc}")
    if creds is None:
        raise SetupError(
            f"AWS profile {profile!r} has no credentials; run `aws configure --profile {profile}`"
        )
    frozen = creds.get_frozen_credentials()
    out = {"AWS_ACCESS_KEY_ID": frozen.access_key, "AWS_SECRET_ACCESS_KEY": frozen.secret_key}
    if frozen.token:
        out["AWS_SESSION_TOKEN"] = frozen.token
    return out
