"""Warm containers: up to N per function config, created, reused, replaced, idled out, cleaned up."""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import os
import secrets
import shutil
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runner.backends.container.deps import ensure_container_requirements
from runner.backends.container.engine import ContainerBackendError, explain_engine_error, platform_for
from runner.backends.container.sandbox import (
    PIDS_LIMIT,
    open_to_lambda_user,
    owner_id,
    owner_is_dead,
    run_user,
)
from runner.config import FunctionConfig
from runner.debug.session import CONTAINER_DEBUG_PORT, DEBUGPY_IN_CONTAINER, DebugOptions
from runner.emulator import TOKEN_ENV, TOKEN_HEADER, code_stamp

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
LineSink = Callable[[str], None]
__all__ = ["TOKEN_ENV", "TOKEN_HEADER", "owner_id"]
LINES_BYTES = 4 * 1024 * 1024  # recent output kept per container (lines are <= 256 KB: the emulator cuts)
MAX_LINE = 256 * 1024  # the image's own RIE does not cut lines: we do, as Lambda does


@dataclass
class WarmContainer:
    """A running container serving one function configuration on 127.0.0.1:port."""

    container: Any
    function_id: str
    config_hash: str
    mode: str
    port: int
    created_at: float
    last_used: float
    served: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    sink: LineSink | None = None
    lines: list[str] = field(default_factory=list)
    lines_bytes: int = 0
    line_event: threading.Condition = field(default_factory=threading.Condition)
    code_stamp: tuple[int, int, int] | None = None
    next_scan: float = 0.0
    debug: bool = False  # a one-off debug container (runtime under debugpy): never pooled or reused
    busy: bool = False  # an invoke holds it (set and cleared under the pool's lock)
    token: str | None = None  # the Invoke API (emulator, or image mode's gate) wants it on every request

    def auth_headers(self) -> dict[str, str]:
        return {TOKEN_HEADER: self.token} if self.token else {}

    @property
    def id(self) -> str:
        return str(self.container.id)

    def on_line(self, line: str) -> None:
        with self.line_event:
            self.lines.append(line)
            self.lines_bytes += len(line)
            if len(self.lines) > 5000 or self.lines_bytes > LINES_BYTES:
                cut = max(1000, len(self.lines) // 2)  # drop in batches: amortised linear
                self.lines_bytes -= sum(len(x) for x in self.lines[:cut])
                del self.lines[:cut]
            self.line_event.notify_all()
        sink = self.sink
        if sink is not None and not line.startswith("lambda-studio-emulator listening on"):
            if line.startswith("REPORT RequestId:") and self.mode == "emulator":
                self.sink = None  # the invoke's log ends here; later lines belong to no invoke
            with contextlib.suppress(Exception):
                sink(line)


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


def _code_stamp(paths: Sequence[Path]) -> tuple[int, int, int]:
    """The code and layer trees' stamp: the emulator's (one stamp, one skip list for both)."""
    return code_stamp(paths)


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


class PoolFull(ContainerBackendError):
    """Every container the function may have is busy (the caller throttles, as Lambda's 429)."""


class ContainerPool:
    """Owns the warm containers of one project: up to ``concurrency`` per function, one invoke in each.
    Thread-safe; every method may block on docker."""

    def __init__(
        self,
        client: Any,
        project: str,
        cache_dir: Path,
        idle_timeout_s: float = 600.0,
        start_timeout_s: float = 30.0,
        base_env: Mapping[str, str] | None = None,
        concurrency: int = 10,
    ) -> None:
        self.client = client
        self.base_env = dict(base_env or {})
        self.project = project
        self.cache_dir = cache_dir
        self.idle_timeout_s = idle_timeout_s
        self.start_timeout_s = start_timeout_s
        self._lock = threading.Lock()
        self._warm: dict[str, list[WarmContainer]] = {}  # function_id -> its containers, oldest first
        self._starting: dict[str, int] = {}  # function_id -> containers being made (count toward the limit)
        self.concurrency = max(1, concurrency)
        self._closed = threading.Event()
        self._reaper: threading.Thread | None = None
        self.on_code_change: Callable[[WarmContainer], None] | None = None  # emulator mode: reload it

    # -- start-up and shutdown --
    def remove_orphans(self) -> list[str]:
        """Removes containers of this project left by an app that is gone (crashed); returns their ids."""
        removed: list[str] = []
        try:
            found = self.client.containers.list(
                all=True, filters={"label": f"{LABEL_PROJECT}={self.project}"}
            )
        except Exception as exc:  # noqa: BLE001
            raise explain_engine_error(exc) from exc
        mine = {w.id for found in self._warm.values() for w in found}
        for container in found:
            owner = str(container.labels.get(LABEL_OWNER, ""))
            if container.id in mine or not (owner == owner_id() or owner_is_dead(owner)):
                continue
            with contextlib.suppress(Exception):
                container.remove(force=True)
                removed.append(str(container.id))
        return removed

    def close(self) -> None:
        """Stops and removes every container of this pool. Blocks."""
        self._closed.set()
        with self._lock:
            warm = [w for found in self._warm.values() for w in found]
            self._warm = {}
        for w in warm:
            self._remove(w)

    def __enter__(self) -> ContainerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the pool --
    def current(self, function_id: str) -> WarmContainer | None:
        """The function's most recently made container, or None."""
        with self._lock:
            found = self._warm.get(function_id)
            return found[-1] if found else None

    def of(self, function_id: str) -> list[WarmContainer]:
        """Every container of this function, busy or idle."""
        with self._lock:
            return list(self._warm.get(function_id, ()))

    def _code_changed(self, w: WarmContainer, config: FunctionConfig) -> bool:
        """Whether the code or layers changed since the last look (scanned on the host, where it is cheap).
        The emulator also watches inside the container, but it throttles its scan on slow trees; this
        makes an edit-then-invoke reload for sure. A big tree is looked at less often (50x its cost, <= 1 s).
        """
        now = time.monotonic()
        if now < w.next_scan:
            return False
        stamp = _code_stamp([config.code_dir, *config.layer_dirs])
        cost = time.monotonic() - now
        w.next_scan = now + (0.0 if cost < 0.005 else min(1.0, cost * 50))
        if stamp == w.code_stamp:
            return False
        w.code_stamp = stamp
        return True

    def all(self) -> list[WarmContainer]:
        with self._lock:
            return [w for found in self._warm.values() for w in found]

    def acquire(
        self,
        config: FunctionConfig,
        image: str,
        mode: str,
        config_hash: str,
        log: Callable[[str], None] | None = None,
    ) -> tuple[WarmContainer, bool]:
        """An idle warm container for this configuration, made when none is idle and the function has
        fewer than ``concurrency`` containers; (container, created). It is busy until release().
        Raises PoolFull when every one of the function's ``concurrency`` containers is busy."""
        fid = config.function_id
        with self._lock:
            if self._closed.is_set():
                raise ContainerBackendError("The container pool is closed.")
            found = self._warm.setdefault(fid, [])
            stale = [w for w in found if w.config_hash != config_hash or w.mode != mode]
            found[:] = [w for w in found if w not in stale]
            self._prune(fid)
            idle = [w for w in found if not w.busy]
            w = idle[-1] if idle else None
            if w is None and len(found) + self._starting.get(fid, 0) >= self.concurrency:
                raise PoolFull(f"all {self.concurrency} containers of {fid} are busy")
            if w is not None:
                w.busy = True
            else:
                self._starting[fid] = self._starting.get(fid, 0) + 1
        for old in stale:
            if not old.busy:
                self._remove(old)  # a busy one is removed when its invoke releases it
        if w is not None and self._code_changed(w, config):
            if mode == "image":  # the image's own runtime cannot hot-reload: a fresh container
                self.discard(w)
                return self.acquire(config, image, mode, config_hash, log)
            if self.on_code_change is not None:
                self.on_code_change(w)
        if w is not None:
            return w, False
        try:
            w = self._start(config, image, mode, config_hash, log=log)
        finally:
            with self._lock:
                self._starting[fid] -= 1
                self._prune(fid)
        w.busy = True
        with self._lock:
            closed = self._closed.is_set()
            if not closed:
                self._warm.setdefault(fid, []).append(w)
        if closed:  # closed while this one started (e.g. a pre-warm at shutdown): leave nothing behind
            self._remove(w)
            raise ContainerBackendError("The container pool is closed.")
        self._ensure_reaper()
        return w, True

    def release(self, w: WarmContainer) -> None:
        """The invoke on this container ended: it is idle again (or removed, if the pool forgot it)."""
        with self._lock:
            w.busy = False
            kept = w in self._warm.get(w.function_id, ())
        if not kept:
            self._remove(w)

    def discard(self, w: WarmContainer) -> None:
        """Forgets and removes a container (killed, timed out in image mode, or cancelled)."""
        with self._lock:
            found = self._warm.get(w.function_id)
            if found is not None and w in found:
                found.remove(w)
            self._prune(w.function_id)
        self._remove(w)

    def _prune(self, function_id: str) -> None:
        """Forgets a function with no container left (callers hold the lock): _warm lists only live ones."""
        if not self._warm.get(function_id):
            self._warm.pop(function_id, None)

    def _remove(self, w: WarmContainer) -> None:
        with contextlib.suppress(Exception):
            w.container.remove(force=True)

    def _ensure_reaper(self) -> None:
        if self._reaper is None or not self._reaper.is_alive():
            self._reaper = threading.Thread(target=self._reap, name="container-idle-reaper", daemon=True)
            self._reaper.start()

    def _reap(self) -> None:
        while not self._closed.wait(min(5.0, max(0.05, self.idle_timeout_s / 4))):
            now = time.monotonic()
            with self._lock:
                idle = [
                    w
                    for found in self._warm.values()
                    for w in found
                    if now - w.last_used > self.idle_timeout_s and not w.busy
                ]
                for w in idle:
                    self._warm[w.function_id].remove(w)
                    self._prune(w.function_id)
            for w in idle:
                self._remove(w)

    def start_debug(
        self, config: FunctionConfig, image: str, config_hash: str, debug: DebugOptions, debugpy_dir: Path
    ) -> WarmContainer:
        """A one-off container whose runtime waits under debugpy (published on 127.0.0.1:debug.port);
        not pooled: the caller removes it with discard() after its invoke. Blocks."""
        return self._start(config, image, "emulator", config_hash, (debug, debugpy_dir))

    # -- making a container --
    def _start(
        self,
        config: FunctionConfig,
        image: str,
        mode: str,
        config_hash: str,
        debug: tuple[DebugOptions, Path] | None = None,
        log: Callable[[str], None] | None = None,
    ) -> WarmContainer:
        version = config.python_version or "3.12"
        # The template's variables win, as before; the Lambda set comes from the one place.
        env = {**config.lambda_environment(version), **self.base_env, **config.environment}
        env.setdefault("AWS_LAMBDA_FUNCTION_TIMEOUT", str(max(1, int(round(config.timeout_s)))))  # for RIE
        volumes: dict[str, dict[str, str]] = {
            str(config.code_dir.resolve()): {"bind": "/var/task", "mode": "ro"},
        }
        layers = [p.resolve() for p in config.layer_dirs]
        if config.requirements_file is not None and config.requirements_file.is_file():
            deps = ensure_container_requirements(
                config.requirements_file, version, config.architecture, self.cache_dir, log
            )
            if deps is not None:
                layers.append(deps)  # as a last layer: /opt/python is on sys.path, as with a deps layer
        if len(layers) == 1:
            volumes[str(layers[0])] = {"bind": "/opt", "mode": "ro"}
        elif layers:
            merged = merge_layers(layers, self.cache_dir / "layers")
            volumes[str(merged)] = {"bind": "/opt", "mode": "ro"}
        kwargs: dict[str, Any] = {}
        # Both modes listen on 0.0.0.0 in the container (the docker bridge reaches it): only who holds this
        # may invoke it (the emulator, or image mode's gate in front of RIE on 127.0.0.1, takes it out of
        # its environment and its /proc entry before any runtime starts).
        token = secrets.token_urlsafe(24)
        env[TOKEN_ENV] = token
        if mode == "emulator":
            volumes[str(EMULATOR_DIR)] = {"bind": EMULATOR_IN_CONTAINER, "mode": "ro"}
            kwargs["entrypoint"] = list(EMULATOR_COMMAND)
            command = [
                "--function-name", config.name, "--handler", config.handler,
                "--memory-mb", str(config.memory_mb), "--timeout", str(config.timeout_s),
                "--host", "0.0.0.0", "--port", str(CONTAINER_PORT), "--concurrency", "1",
                "--cwd", "/var/task", "--region", config.region, "--account-id", config.account_id,
                "--cgroup-memory", "on", "--watch", "/var/task",
            ]  # fmt: skip
            if layers:
                command += ["--watch", "/opt"]
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
            kwargs["entrypoint"] = ["python3", RIE_GATE_IN_CONTAINER]
            command = [config.handler]
        labels = {
            LABEL_PROJECT: self.project,
            LABEL_FUNCTION: config.function_id,
            LABEL_HASH: config_hash,
            LABEL_OWNER: owner_id(),
        }
        mem = f"{config.memory_mb + (384 if debug else 0)}m"  # debugpy's memory must not kill the function
        ports: dict[str, Any] = {f"{CONTAINER_PORT}/tcp": ("127.0.0.1", None)}
        if debug is not None:
            ports[f"{CONTAINER_DEBUG_PORT}/tcp"] = (debug[0].host, debug[0].port)
        code_stamp = _code_stamp([config.code_dir, *config.layer_dirs])
        sources = [config.code_dir.resolve(), *(Path(v) for v in volumes if Path(v).is_dir())]
        open_to_lambda_user(sources, self.cache_dir)
        user = run_user(sources)
        created = time.monotonic()
        container = None
        for attempt in range(3):
            try:
                container = self.client.containers.run(
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
            w.code_stamp = code_stamp
            threading.Thread(target=_follow_logs, args=(w,), name="container-logs", daemon=True).start()
            wait_ready(port, self.start_timeout_s, mode, container, token)
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


def _follow_logs(w: WarmContainer) -> None:
    """Feeds the container's output, line by line, to the warm container (and its current sink)."""
    partial: list[bytes] = []  # linear in the line's length; past MAX_LINE bytes the rest is dropped
    size = 0
    try:
        for chunk in w.container.logs(stream=True, follow=True, stdout=True, stderr=True):
            *lines, rest = chunk.split(b"\n")
            for piece in lines:
                if size < MAX_LINE:
                    partial.append(piece[: MAX_LINE - size])
                line, partial, size = b"".join(partial), [], 0
                w.on_line(line[:MAX_LINE].decode("utf-8", "replace").rstrip("\r"))
            if size < MAX_LINE and rest:
                partial.append(rest[: MAX_LINE - size])
            size += len(rest)
    except Exception:  # noqa: BLE001 - the container went away; nothing more to read
        pass
    if partial:
        w.on_line(b"".join(partial).decode("utf-8", "replace"))


def _start_error(exc: BaseException, image: str) -> ContainerBackendError:
    text = str(exc)
    if "No such image" in text or "not found" in text.lower() and "image" in text.lower():
        return ContainerBackendError(f"The image {image} is missing; pull, load or build it first.")
    if "Connection aborted" in text or "Permission denied" in text or "connection refused" in text.lower():
        return explain_engine_error(exc)
    return ContainerBackendError(f"Could not start a container from {image}: {text[:400]}")
