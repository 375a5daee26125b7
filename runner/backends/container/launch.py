"""Starting one container as Lambda runs a function: mounts, environment, command, limits and labels."""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import os
import secrets
import shutil
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from runner.backends.container.deps import ensure_container_requirements
from runner.backends.container.engine import ContainerBackendError, explain_engine_error, platform_for
from runner.backends.container.sandbox import PIDS_LIMIT, open_to_lambda_user, owner_id, run_user
from runner.backends.container.warm import WarmContainer, follow_logs
from runner.backends.contract import LogSink
from runner.config import FunctionConfig
from runner.debug.session import CONTAINER_DEBUG_PORT, DEBUGPY_IN_CONTAINER, DebugOptions
from runner.emulator import TOKEN_ENV, TOKEN_HEADER, code_stamp
from runner.emulator.gate_link import GATE_ENV

LABEL_PROJECT = "lambda-studio.project"
LABEL_FUNCTION = "lambda-studio.function"
LABEL_HASH = "lambda-studio.config-hash"
LABEL_OWNER = "lambda-studio.owner"  # "<hostname>:<pid>:<start>" of the app that made it (orphan sweep)
# The emulator package, mounted read-only as a folder and started by its launcher in isolation (-I -S):
# neither /var/task nor a function's PYTHONPATH can shadow its modules (runner/emulator/launch.py).
EMULATOR_IN_CONTAINER = "/var/lambda-studio/emulator"
EMULATOR_COMMAND = ["python3", "-I", "-S", f"{EMULATOR_IN_CONTAINER}/launch.py"]
CONTAINER_PORT = 8080
EMULATOR_DIR = Path(__file__).resolve().parents[2] / "emulator"
RIE_GATE_IN_CONTAINER = "/var/lambda-studio/rie_gate.py"
RIE_GATE_FILE = Path(__file__).resolve().parent / "rie_gate.py"
GATE_LINK_IN_CONTAINER = "/var/lambda-studio/gate_link.py"  # next to rie_gate.py
GATE_LINK_FILE = EMULATOR_DIR / "gate_link.py"


def merge_layers(layer_dirs: Sequence[Path], cache_dir: Path) -> Path:
    """One directory holding the layers extracted in order (later wins), as Lambda builds /opt.

    Docker cannot union several bind mounts at one path, so several layers become a merged tree of
    hard links (copies across file systems) under cache_dir, rebuilt when any layer file changes.
    A single layer is mounted directly and needs none of this.
    """
    stamp = hashlib.sha256()
    for layer in layer_dirs:
        for root, dirs, files in os.walk(layer):
            dirs.sort()
            for name in sorted(files):
                path = os.path.join(root, name)
                with contextlib.suppress(OSError):
                    st = os.stat(path)
                    stamp.update(f"{path}\0{st.st_mtime_ns}\0{st.st_size}\n".encode())
    dest = cache_dir / f"opt-{stamp.hexdigest()[:16]}"
    if dest.is_dir():
        return dest
    tmp = cache_dir / f".opt-{os.getpid()}-{threading.get_ident()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for layer in layer_dirs:
        for root, _dirs, files in os.walk(layer):
            rel = os.path.relpath(root, layer)
            target = tmp / rel
            target.mkdir(parents=True, exist_ok=True)
            for name in files:
                src, dst = os.path.join(root, name), target / name
                if dst.exists() or dst.is_symlink():
                    dst.unlink()
                try:
                    os.link(src, dst)
                except OSError:
                    shutil.copy2(src, dst)
    os.replace(tmp, dest)
    return dest


def wait_ready(port: int, deadline_s: float, mode: str, container: Any, token: str | None = None) -> None:
    """Blocks until the container's server answers HTTP on 127.0.0.1:port (or raises)."""
    path = "/lambda-studio/health" if mode == "emulator" else "/"
    end = time.monotonic() + deadline_s
    delay = 0.002
    while time.monotonic() < end:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1.0)
        try:
            conn.request("GET", path, headers={TOKEN_HEADER: token} if token else {})
            resp = conn.getresponse()
            resp.read()
            if mode != "emulator" or resp.status == 200:
                return
        except (OSError, http.client.HTTPException):
            pass
        finally:
            conn.close()
        time.sleep(delay)
        delay = min(delay * 1.5, 0.05)
        if delay >= 0.02:
            container.reload()
            if container.status not in ("created", "running"):
                break
    logs = ""
    with contextlib.suppress(Exception):
        logs = container.logs(tail=20).decode("utf-8", "replace")
    raise ContainerBackendError(
        f"The container {container.short_id} did not start serving within {deadline_s:.0f} s.\n{logs}"
    )


def start_container(
    client: Any,
    config: FunctionConfig,
    image: str,
    mode: str,
    config_hash: str,
    *,
    project: str,
    cache_dir: Path,
    base_env: Mapping[str, str],
    start_timeout_s: float,
    debug: tuple[DebugOptions, Path] | None = None,
    log: LogSink | None = None,
) -> WarmContainer:
    """Starts one container for this configuration and waits until it serves; removes it on failure.
    Blocks (requirements install, docker, the start-up wait)."""
    version = config.python_version or "3.12"
    # The template's variables win, as before; the Lambda set comes from the one place.
    env = {**config.lambda_environment(version), **base_env, **config.environment}
    env.setdefault("AWS_LAMBDA_FUNCTION_TIMEOUT", str(max(1, int(round(config.timeout_s)))))  # for RIE
    volumes: dict[str, dict[str, str]] = {
        str(config.code_dir.resolve()): {"bind": "/var/task", "mode": "ro"},
    }
    layers = [p.resolve() for p in config.layer_dirs]
    if config.requirements_file is not None and config.requirements_file.is_file():
        deps = ensure_container_requirements(
            config.requirements_file, version, config.architecture, cache_dir, log
        )
        if deps is not None:
            layers.append(deps)  # as a last layer: /opt/python is on sys.path, as with a deps layer
    if len(layers) == 1:
        volumes[str(layers[0])] = {"bind": "/opt", "mode": "ro"}
    elif layers:
        merged = merge_layers(layers, cache_dir / "layers")
        volumes[str(merged)] = {"bind": "/opt", "mode": "ro"}
    kwargs: dict[str, Any] = {}
    # Both modes listen on 0.0.0.0 in the container (the docker bridge reaches it): only who holds this
    # may invoke it (the emulator, or image mode's gate in front of RIE on 127.0.0.1, takes it out of
    # its environment and its /proc entry before any runtime starts).
    token = secrets.token_urlsafe(24)
    env[TOKEN_ENV] = token
    if config.host_gate is not None:  # the local cloud's endpoints, via the host (both modes)
        env[GATE_ENV] = config.host_gate.to_env()  # taken out of the environment, as the token is
    if mode == "emulator":
        volumes[str(EMULATOR_DIR)] = {"bind": EMULATOR_IN_CONTAINER, "mode": "ro"}
        kwargs["entrypoint"] = list(EMULATOR_COMMAND)
        command = [
            "--function-name", config.name, "--handler", config.handler,
            "--memory-mb", str(config.memory_mb), "--timeout", str(config.timeout_s),
            "--host", "0.0.0.0", "--port", str(CONTAINER_PORT), "--concurrency", "1",
            "--cwd", "/var/task", "--region", config.region, "--account-id", config.account_id,
            "--cgroup-memory", "off",
        ]  # fmt: skip
        if debug is None:
            command += ["--prewarm"]  # the runtime's init runs now, not on the first invoke
        command += ["--", "/var/runtime/bootstrap"]
        if debug is not None:
            command[command.index("--") :] = _debug_runtime(debug[0])
            volumes[str(debug[1])] = {"bind": DEBUGPY_IN_CONTAINER, "mode": "ro"}
            # No PYTHONPATH: AWS's bootstrap.py puts /opt/python (layers, requirements) on
            # sys.path only when PYTHONPATH is unset; debugpy is run from its folder instead.
            env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    else:
        volumes[str(RIE_GATE_FILE)] = {"bind": RIE_GATE_IN_CONTAINER, "mode": "ro"}
        if config.host_gate is not None:  # rie_gate imports it from its own folder
            volumes[str(GATE_LINK_FILE)] = {"bind": GATE_LINK_IN_CONTAINER, "mode": "ro"}
        kwargs["entrypoint"] = ["python3", RIE_GATE_IN_CONTAINER]
        command = [config.handler]
    labels = {
        LABEL_PROJECT: project,
        LABEL_FUNCTION: config.function_id,
        LABEL_HASH: config_hash,
        LABEL_OWNER: owner_id(),
    }
    mem_mb = config.memory_mb + (384 if debug else 0)  # debugpy's memory must not kill the function
    if mode == "emulator":
        # /tmp is a tmpfs, charged to the container's memory; Lambda's /tmp is storage. So docker's
        # limit leaves room for a full /tmp and the emulator enforces MemorySize on the runtime's
        # process tree (--cgroup-memory off: Max Memory Used is the processes', not the tmpfs').
        mem_mb += config.ephemeral_storage_mb
    mem = f"{mem_mb}m"
    ports: dict[str, Any] = {f"{CONTAINER_PORT}/tcp": ("127.0.0.1", None)}
    if debug is not None:
        ports[f"{CONTAINER_DEBUG_PORT}/tcp"] = (debug[0].host, debug[0].port)
    stamp = code_stamp([config.code_dir, *config.layer_dirs])
    sources = [config.code_dir.resolve(), *(Path(v) for v in volumes if Path(v).is_dir())]
    open_to_lambda_user(sources, cache_dir)
    user = run_user(sources)
    created = time.monotonic()
    container = None
    for attempt in range(3):
        try:
            container = client.containers.run(
                image,
                command,
                detach=True,
                environment=env,
                volumes=volumes,
                working_dir="/var/task",
                labels=labels,
                mem_limit=mem,
                memswap_limit=mem,
                platform=platform_for(config.architecture),
                ports=ports,
                # Lambda's sandbox: read-only except /tmp, its non-root user, no capabilities.
                user=user,
                read_only=True,
                tmpfs={"/tmp": f"rw,exec,nosuid,nodev,size={config.ephemeral_storage_mb}m,mode=1777"},
                cap_drop=["ALL"],
                security_opt=["no-new-privileges"],
                pids_limit=PIDS_LIMIT,
                **kwargs,
            )
            break
        except Exception as exc:  # noqa: BLE001
            text = str(exc)
            if ("port is already allocated" in text or "address already in use" in text) and attempt < 2:
                continue  # docker picked a port something grabbed meanwhile: ask for another
            raise _start_error(exc, image) from exc
    assert container is not None
    try:
        port = _host_port(container)
        w = WarmContainer(container, config.function_id, config_hash, mode, port, created, created)
        w.debug = debug is not None
        w.token = token
        w.code_stamp = stamp
        threading.Thread(target=follow_logs, args=(w,), name="container-logs", daemon=True).start()
        wait_ready(port, start_timeout_s, mode, container, token)
    except BaseException:
        with contextlib.suppress(Exception):
            container.remove(force=True)
        raise
    return w


def _debug_runtime(debug: DebugOptions) -> list[str]:
    """The emulator's --debug flag and a runtime command running the image's runtime under debugpy:
    its /var/runtime/bootstrap.py when there is one (AWS's images), else awslambdaric for $_HANDLER."""
    inside = DebugOptions(CONTAINER_DEBUG_PORT, "0.0.0.0", debug.wait_for_client)  # published as debug.port
    # `python3 <dir>/debugpy …` (debugpy's own way to run without being importable) rather than
    # `-m debugpy`, which would need PYTHONPATH and so change the function's sys.path.
    args = inside.runtime_args()
    assert args[:2] == ["-m", "debugpy"]
    py = " ".join(["python3", "-Xfrozen_modules=off", f"{DEBUGPY_IN_CONTAINER}/debugpy", *args[2:]])
    script = (
        f"if [ -f /var/runtime/bootstrap.py ]; then exec {py} /var/runtime/bootstrap.py; "
        f'else exec {py} -m awslambdaric "$_HANDLER"; fi'
    )
    return ["--debug", "--", "/bin/sh", "-c", script]


def _host_port(container: Any) -> int:
    for _ in range(50):
        container.reload()
        bindings = (container.attrs.get("NetworkSettings") or {}).get("Ports") or {}
        for binding in bindings.get(f"{CONTAINER_PORT}/tcp") or []:
            if binding.get("HostPort"):
                return int(binding["HostPort"])
        if container.status not in ("created", "running"):
            break
        time.sleep(0.01)
    logs = container.logs(tail=20).decode("utf-8", "replace")
    raise ContainerBackendError(
        f"The container {container.short_id} exited before publishing its port.\n{logs}"
    )


def _start_error(exc: BaseException, image: str) -> ContainerBackendError:
    text = str(exc)
    if "No such image" in text or "not found" in text.lower() and "image" in text.lower():
        return ContainerBackendError(f"The image {image} is missing; pull, load or build it first.")
    if "Connection aborted" in text or "Permission denied" in text or "connection refused" in text.lower():
        return explain_engine_error(exc)
    return ContainerBackendError(f"Could not start a container from {image}: {text[:400]}")
