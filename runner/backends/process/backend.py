"""The process backend: runs a function as local processes (our emulator + our runtime client), kept warm."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import sysconfig
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import cast

from runner.backends.contract import WARM_UP_WAIT_S, CancelToken, LogSink
from runner.backends.process.interpreter import Interpreter, choose, default_python, version_of
from runner.backends.process.isolation import linked_packages
from runner.backends.process.sandbox import choose as choose_sandbox
from runner.backends.process.sandbox import runtime_dirs
from runner.backends.process.sdk_mirror import compile_with, sdk_for
from runner.cache import default_cache_dir
from runner.config import FunctionConfig
from runner.debug.session import (
    DEBUG_GRACE_S,
    DebugOptions,
    announce_when_listening,
    debug_note,
    ensure_debugpy,
    host_tcp_tables,
)
from runner.deps import COMPLETE, PipError, build_once, has_requirements, pip_install_once
from runner.emulator import Emulator, Invocation, Throttled, sweep_runtimes
from runner.limits import check_request
from runner.result import InvokeMetrics, InvokeResult, Outcome, SetupError, error_from_payload

BOOTSTRAP = Path(__file__).resolve().parent / "bootstrap.py"
DUMMY_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
    "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "AWS_SESSION_TOKEN": "lambda-studio-local",
}
# Host variables a local process needs to run at all; everything else of the host stays out.
HOST_VARS = ("PATH", "SYSTEMROOT", "SystemRoot", "WINDIR", "TEMP", "TMP", "TMPDIR", "COMSPEC", "PATHEXT")


def ensure_requirements(requirements: Path, python: str, cache_dir: Path, log: LogSink | None = None) -> Path:
    """Installs requirements.txt once into a cache dir keyed by its content and the interpreter; blocks."""
    text = requirements.read_bytes()
    if os.path.realpath(python) == os.path.realpath(sys.executable):
        version = f"{sys.version_info[:2]} {sysconfig.get_platform()}"
    else:
        version = subprocess.run(
            [python, "-c", "import sys,sysconfig;print(sys.version_info[:2], sysconfig.get_platform())"],
            capture_output=True,
            text=True,
        ).stdout.strip()
    key = hashlib.sha256(text + version.encode()).hexdigest()[:20]
    target = cache_dir / "deps" / key
    if (target / COMPLETE).exists():
        return target
    if not has_requirements(requirements):
        return build_once(target, lambda tmp: None)[0]
    if log:
        log(f"lambda-studio: installing {requirements} into {target} (once)")
    try:
        return pip_install_once(target, ["-r", str(requirements)], python=python, cwd=requirements.parent)[0]
    except PipError as exc:
        raise SetupError(f"installing {requirements} failed ({exc.message}):\n{exc.output}")


def layer_python_dirs(layer_dirs: tuple[Path, ...], python_version: str | None) -> list[Path]:
    """What a layer adds to sys.path in Lambda: python/lib/pythonX.Y/site-packages and python/."""
    out: list[Path] = []
    for layer in layer_dirs:
        if python_version:
            site = layer / "python" / "lib" / f"python{python_version}" / "site-packages"
            if site.is_dir():
                out.append(site)
        py = layer / "python"
        out.append(py if py.is_dir() else layer)
    return out


class ProcessBackend:
    """Invokes functions as local processes, keeping one warm emulator per (function, config)."""

    name = "process"

    def __init__(
        self,
        *,
        cache_dir: Path | None = None,
        credentials: Mapping[str, str] | None = None,
        python: str | None = None,
        concurrency: int = 10,
        runtime_cmd: list[str] | None = None,
        pins: Mapping[str, str] | None = None,
    ) -> None:
        self.cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
        self.credentials = dict(credentials) if credentials else None
        self.python = python or default_python()
        self.concurrency = concurrency
        self.runtime_cmd = runtime_cmd  # e.g. [python, -m, awslambdaric] (the handler is appended)
        # "3.12" (or "python3.12") -> the interpreter the user chose for that runtime
        self.pins = {k.removeprefix("python"): v for k, v in (pins or {}).items()}
        self._interpreters: dict[str | None, Interpreter] = {}
        self._lock = threading.Lock()
        self._emulators: dict[tuple[str, str], Emulator] = {}
        self._note: str | None = None  # what the sandbox is (or why there is none): said once
        self._noted = False
        # Runtimes left by a copy of us that was killed (kill -9 of serve): provably orphaned ones go.
        self.pid_dir = self.cache_dir / "runtimes"
        sweep_runtimes(str(self.pid_dir))

    def environment(self, config: FunctionConfig, sys_path: list[Path]) -> dict[str, str]:
        """The runtime's environment: host basics, the Lambda set, the template's variables, credentials."""
        env = {k: v for k, v in os.environ.items() if k in HOST_VARS}
        version = config.python_version or f"{sys.version_info[0]}.{sys.version_info[1]}"
        env.update(config.lambda_environment(version))  # the Lambda set, from the one place
        env.update(
            {
                "LAMBDA_TASK_ROOT": str(config.code_dir),
                "LAMBDA_RUNTIME_DIR": str(BOOTSTRAP.parent),
                "LAMBDA_STUDIO_SYS_PATH": os.pathsep.join(str(p) for p in sys_path),
                "PYTHONPATH": os.pathsep.join(str(p) for p in sys_path[1:]),
                "PYTHONDONTWRITEBYTECODE": "1",
                "LAMBDA_STUDIO_SOURCE_DIRS": os.pathsep.join(
                    str(p) for p in sys_path[:1] + list(config.layer_dirs)
                ),
            }
        )
        env.update(self.credentials or DUMMY_CREDENTIALS)
        env.update({k: str(v) for k, v in config.environment.items()})
        return env

    def interpreter(self, config: FunctionConfig) -> Interpreter:
        """The interpreter that runs this function: one of its own Python version when installed (see
        runner/backends/process/interpreter.py), chosen once per version; blocks the first time (runs candidates)."""
        version = config.python_version
        with self._lock:
            known = self._interpreters.get(version)
        if known is not None:
            return known
        if self.runtime_cmd:  # the command names its interpreter; self.python is only its pip
            chosen = Interpreter(self.python, version_of(self.python), False, "default")
        else:
            chosen = choose(version, self.python, self.pins)
        with self._lock:
            return self._interpreters.setdefault(version, chosen)

    def _requirements_key(self, config: FunctionConfig) -> str:
        req = config.requirements_file
        if req is None or not req.is_file():
            return ""
        return hashlib.sha256(req.read_bytes()).hexdigest()[:12]

    def emulator_for(self, config: FunctionConfig, log: LogSink | None = None) -> Emulator:
        """The warm emulator of this function and configuration, created (not started) if needed; blocks."""
        key = (config.function_id, config.config_hash() + self._requirements_key(config))
        with self._lock:
            emu = self._emulators.get(key)
            if emu is not None:
                return emu
            stale = [k for k in self._emulators if k[0] == config.function_id]
        for k in stale:
            with self._lock:
                old = self._emulators.pop(k, None)
            if old is not None:
                old.close()
        emu = self._make_emulator(config, log)
        with self._lock:
            existing = self._emulators.setdefault(key, emu)
        if existing is not emu:  # another thread made it first: keep one warm emulator per config
            emu.close()
        return existing

    def _make_emulator(
        self, config: FunctionConfig, log: LogSink | None, debug: DebugOptions | None = None
    ) -> Emulator:
        self._check(config)
        # Lambda's order: the package (code, then its bundled requirements), layers, the runtime's SDK.
        interp = self.interpreter(config)
        sys_path = [config.code_dir]
        if config.requirements_file is not None and config.requirements_file.is_file():
            sys_path.append(ensure_requirements(config.requirements_file, interp.path, self.cache_dir, log))
        sys_path += layer_python_dirs(config.layer_dirs, config.python_version)
        # Ours, or one found for the function's version: no site-packages (Lambda offers the stdlib, the
        # function's folders and the AWS SDK), and a link to our SDK (pure Python: any version imports it).
        sdk = linked_packages(self.cache_dir) if not self.runtime_cmd and interp.source != "default" else None
        isolate = not self.runtime_cmd and (interp.own or sdk is not None)
        if sdk is not None and not interp.own and interp.version:
            sdk = sdk_for(sdk, interp.path, interp.version, self.cache_dir)  # its bytecode, made once
        if sdk is not None:
            sys_path.append(sdk)
        python = [interp.path, "-S"] if isolate else [interp.path]
        cmd = [*self.runtime_cmd, config.handler] if self.runtime_cmd else [*python, "-u", str(BOOTSTRAP)]
        env = self.environment(config, sys_path)
        if debug is None:  # a debug runtime stays unsandboxed: debugpy's adapter shares its tree
            seen = runtime_dirs(
                interp.path, [config.code_dir, *config.layer_dirs, *sys_path[1:], BOOTSTRAP.parent]
            )
            box = choose_sandbox(seen, tmp_mb=config.ephemeral_storage_mb)
            if box.active:
                cmd = [*box.prefix, *cmd]
                env["TMPDIR"] = "/tmp"  # the host's TMPDIR is read-only in there
            with self._lock:
                self._note = box.note
        if debug is not None:  # our bootstrap under debugpy, which waits for the debugger
            cmd = [*python, "-u", "-Xfrozen_modules=off", *debug.runtime_args(), str(BOOTSTRAP)]
            env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"  # we turned frozen modules off: no warning
            if interp.own:
                extra = linked_packages(self.cache_dir, ("debugpy",))
            else:  # its pure wheel for that version, fetched by our pip (a found Python may have none)
                pip = self.python if interp.source == "default" else None
                extra = ensure_debugpy(self.cache_dir, interp.version or config.python_version or "3.12", pip)
                if interp.version:
                    compile_with(extra, interp.path, interp.version)
            if extra is not None:
                env["PYTHONPATH"] = os.pathsep.join(p for p in (env.get("PYTHONPATH"), str(extra)) if p)
        return Emulator(
            function_name=config.name,
            handler=config.handler,
            runtime_cmd=cmd,
            memory_mb=config.memory_mb,
            timeout_s=config.timeout_s,
            env=env,
            cwd=str(config.code_dir),
            concurrency=1 if debug else self.concurrency,
            watch=[] if debug else [str(config.code_dir), *(str(d) for d in config.layer_dirs)],
            region=config.region,
            account_id=config.account_id,
            debug=debug is not None,
            pid_dir=str(self.pid_dir),
        )

    @staticmethod
    def _check(config: FunctionConfig) -> None:
        if config.python_version is None:
            raise SetupError(
                f"{config.function_id}: runtime {config.runtime!r} is not Python; use the container backend"
            )
        if not config.code_dir.is_dir():
            raise SetupError(f"{config.function_id}: code directory {config.code_dir} does not exist")
        if not config.handler:
            raise SetupError(f"{config.function_id}: the function has no Handler")

    def invoke(
        self,
        config: FunctionConfig,
        event: bytes,
        sink: LogSink | None = None,
        cancel: CancelToken | None = None,
        *,
        client_context: str | None = None,
        debug: DebugOptions | None = None,
    ) -> InvokeResult:
        """Invokes the function once and returns its InvokeResult; blocks until it ends, times out or
        ``cancel`` is set. Log lines go to ``sink`` as they happen (called from the emulator's reader
        and invoke threads, never concurrently for one invoke). Raises SetupError for user errors.

        With ``debug`` the invoke runs in a fresh runtime started under debugpy (listening on
        debug.host:debug.port, waiting for a debugger), with no timeout enforced; it is not kept warm."""
        check_request(event)
        if debug is not None:
            return self._debug_invoke(config, event, sink, cancel, client_context, debug)
        emu = self.emulator_for(config, sink)
        try:
            inv = emu.invoke(event, client_context=client_context, cancel=_event(cancel), on_log=sink)
        except Throttled:
            return InvokeResult.throttled(config.function_id, self.name)
        result = to_result(inv, config, self.name, path_map(config))
        with self._lock:
            note = None if self._noted else self._note
            self._noted = self._noted or note is not None
        if note is not None:  # in the result, not the sink: the sink carries the invoke's log only
            result.note = note
        mismatch = self.version_note(config)
        if mismatch:
            result.note = f"{mismatch} {result.note}" if result.note else mismatch
        return result

    def version_note(self, config: FunctionConfig) -> str | None:
        """What to say when the function's runtime is another Python than the interpreter that ran it."""
        if not config.python_version:
            return None
        interp = self.interpreter(config)
        if interp.version is None or interp.version == config.python_version:
            return None  # the same version, or one that cannot run (its spawn error says so)
        why = (
            f"the interpreter pinned for it is {interp.path}"
            if interp.source == "pinned"
            else f"no Python {config.python_version} was found on this machine (install one, or set "
            f"$LAMBDA_STUDIO_PYTHON_{config.python_version.replace('.', '_')})"
        )
        return (
            f"Ran on Python {interp.version}, not {config.runtime}: {why}; "
            "the container backend runs the function's own runtime."
        )

    def warm_up(
        self,
        config: FunctionConfig,
        sink: LogSink | None = None,
        cancel: CancelToken | None = None,
        *,
        wait: bool = True,
    ) -> None:
        """Blocks: requirements installed and one runtime started for this function, ahead of its first
        invoke (which then finds it warm); with ``wait`` until its init (imports, globals) has run.
        Nothing of the function's handler runs beyond its init (runner.backends.contract.Backend.warm_up)."""
        if cancel is not None and cancel.is_set():
            return
        emu = self.emulator_for(config, sink)
        emu.prewarm()
        deadline = time.monotonic() + WARM_UP_WAIT_S
        while wait and not emu.warm_count and time.monotonic() < deadline:
            if (cancel is not None and cancel.is_set()) or not any(rt.alive for rt in emu.runtimes):
                return
            time.sleep(0.005)

    def _debug_invoke(
        self,
        config: FunctionConfig,
        event: bytes,
        sink: LogSink | None,
        cancel: CancelToken | None,
        client_context: str | None,
        debug: DebugOptions,
    ) -> InvokeResult:
        emu = self._make_emulator(config, sink, debug)
        if debug.clock is not None:
            debug.clock.connect(emu.debug_hold)  # the session says when the timeout may count
        stop_watching = threading.Event()  # announced once debugpy listens (at once without /proc)
        announce_when_listening(debug, debug.port, host_tcp_tables, stop_watching)
        try:
            inv = emu.invoke(event, client_context=client_context, cancel=_event(cancel), on_log=sink)
            if inv.outcome != "cancelled":
                time.sleep(DEBUG_GRACE_S)
        finally:
            stop_watching.set()
            if debug.clock is not None:
                debug.clock.connect(None)
            emu.close()
        result = to_result(inv, config, self.name, path_map(config))
        result.note = debug_note(debug)
        return result

    def reload(self, config: FunctionConfig | None = None) -> None:
        """Hot reload: the next invoke of this function (or of every function) starts a fresh runtime."""
        with self._lock:
            emus = [e for k, e in self._emulators.items() if config is None or k[0] == config.function_id]
        for emu in emus:
            emu.reload()

    def warm_count(self) -> int:
        """Warm runtimes (one emulator per function and configuration)."""
        with self._lock:
            return len(self._emulators)

    def close(self) -> None:
        """Stops every warm runtime."""
        with self._lock:
            emus = list(self._emulators.values())
            self._emulators.clear()
        for emu in emus:
            emu.close()


def _event(cancel: CancelToken | None) -> threading.Event | None:
    """The emulator (stdlib only, also run standalone) types its cancel as an Event; it calls is_set()."""
    return cast("threading.Event | None", cancel)


def path_map(config: FunctionConfig) -> dict[str, Path]:
    """Runtime paths → local dirs, so frames of the Lambda layout (/var/task, /opt) map back too."""
    out: dict[str, Path] = {str(config.code_dir): config.code_dir, "/var/task": config.code_dir}
    for layer in config.layer_dirs:
        out[str(layer)] = layer
        out.setdefault("/opt", layer)
    return out


def to_result(
    inv: Invocation, config: FunctionConfig, backend: str, paths: Mapping[str, Path]
) -> InvokeResult:
    """An InvokeResult from a finished emulator Invocation (shared with backends that use the emulator)."""
    outcome = Outcome(inv.outcome)
    error = None if outcome is Outcome.SUCCESS else error_from_payload(inv.body, paths)
    metrics = InvokeMetrics(
        duration_ms=round(inv.duration_ms, 2),
        billed_duration_ms=inv.billed_duration_ms,
        memory_size_mb=inv.memory_size_mb,
        max_memory_used_mb=inv.max_memory_used_mb,
        init_duration_ms=None if inv.init_duration_ms is None else round(inv.init_duration_ms, 2),
    )
    return InvokeResult(
        request_id=inv.request_id,
        function_id=config.function_id,
        outcome=outcome,
        payload=inv.body,
        error=error,
        log_text=inv.log_text,
        metrics=metrics,
        cold_start=inv.cold,
        backend=backend,
    )
