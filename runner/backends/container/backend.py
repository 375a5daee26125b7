"""The container backend: invokes a function in a Lambda-like container from a warm pool."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import http.client
import json
import math
import re
import threading
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from runner.backends.container.engine import (
    ContainerBackendError,
    ProgressSink,
    ensure_image,
    explain_engine_error,
    image_for,
    platform_for,
)
from runner.backends.container.pool import TOKEN_HEADER, ContainerPool, PoolFull, WarmContainer
from runner.backends.contract import CancelToken, LogSink
from runner.backends.process.backend import DUMMY_CREDENTIALS, PRESTART_WAIT_S
from runner.config import FunctionConfig
from runner.debug.session import (
    CONTAINER_DEBUG_PORT,
    DEBUG_GRACE_S,
    DebugOptions,
    announce_when_listening,
    debug_note,
    ensure_debugpy,
)
from runner.limits import check_request
from runner.result import InvokeError, InvokeMetrics, InvokeResult, Outcome, SetupError, error_from_payload

ENTRYPOINT_MODES = ("emulator", "image")
INIT_ERRORS = {
    "Runtime.ImportModuleError",
    "Runtime.UserCodeSyntaxError",
    "Runtime.HandlerNotFound",
    "Runtime.MalformedHandlerName",
    "Runtime.BuiltInModuleConflict",
}
_REPORT_FIELD = re.compile(r"(Duration|Billed Duration|Memory Size|Max Memory Used|Init Duration): ([\d.]+)")
_INIT_REPORT = re.compile(r"INIT REPORT\(durationMs: ([\d.]+)")


class ContainerBackend:
    """Runs invokes in warm containers: our emulator (default) or the image's own RIE entrypoint.

    The docker client is passed in (see runner.backends.container.engine.connect). Every method blocks.
    """

    name = "container"

    def __init__(
        self,
        client: Any,
        project: str,
        cache_dir: Path,
        *,
        image_override: str | None = None,
        entrypoint_mode: str = "emulator",
        idle_timeout_s: float = 600.0,
        pull_progress: ProgressSink | None = None,
        remove_orphans: bool = True,
        credentials: Mapping[str, str] | None = None,
        images: Mapping[str, str] | None = None,
        concurrency: int = 10,
    ) -> None:
        if entrypoint_mode not in ENTRYPOINT_MODES:
            raise ValueError(f"entrypoint_mode must be one of {ENTRYPOINT_MODES}, not {entrypoint_mode!r}")
        self.client = client
        self.image_override = image_override
        self.images = dict(images or {})  # runtime -> image (the settings' "images")
        self.entrypoint_mode = entrypoint_mode
        self.pull_progress = pull_progress
        self.pool = ContainerPool(
            client,
            project,
            cache_dir,
            idle_timeout_s=idle_timeout_s,
            base_env=credentials or DUMMY_CREDENTIALS,
            concurrency=concurrency,
        )
        self.concurrency = self.pool.concurrency  # containers per function, one invoke in each
        self._ready_images: set[str] = set()
        self.pool.on_code_change = self._reload_container
        if remove_orphans:
            self.pool.remove_orphans()

    def warm_count(self) -> int:
        """Warm containers kept for the next invokes."""
        return len(self.pool.all())

    def close(self) -> None:
        """Stops and removes every container this backend started. Blocks."""
        self.pool.close()

    def __enter__(self) -> ContainerBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def reload(self, config: FunctionConfig | None = None) -> None:
        """Hot reload: the next invoke of this function (or of all) starts a fresh runtime. Blocks briefly."""
        targets = self.pool.of(config.function_id) if config else self.pool.all()
        for w in targets:
            if w.mode == "image":
                self.pool.discard(w)
            else:
                self._reload_container(w)

    def _reload_container(self, w: WarmContainer) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", w.port, timeout=10)
        try:
            conn.request("POST", "/lambda-studio/reload", body=b"", headers=w.auth_headers())
            conn.getresponse().read()
        except (OSError, http.client.HTTPException):
            self.pool.discard(w)
        finally:
            conn.close()

    def image_for(self, config: FunctionConfig) -> str:
        override = self.images.get(config.runtime) or self.image_override
        return image_for(config.python_version or "3.12", config.architecture, override)

    def prepare(self, config: FunctionConfig) -> WarmContainer:
        """Pulls the image if needed and starts the function's container ahead of an invoke. Blocks."""
        image = self._image(config)
        w, _ = self.pool.acquire(config, image, self.entrypoint_mode, self._hash(config, image))
        self.pool.release(w)
        return w

    def prewarm(self, config: FunctionConfig) -> None:
        """Starts one warm container of the function ahead of its first invoke. Blocks."""
        self.prepare(config)

    def image_ready(self, image: str) -> bool:
        """Whether this backend already made sure the image is present (no engine call)."""
        return image in self._ready_images

    def _image(self, config: FunctionConfig) -> str:
        image = self.image_for(config)
        if image not in self._ready_images:
            ensure_image(self.client, image, platform_for(config.architecture), self.pull_progress)
            self._ready_images.add(image)
        return image

    def _hash(self, config: FunctionConfig, image: str) -> str:
        req = config.requirements_file
        deps = req.read_bytes() if req is not None and req.is_file() else b""
        extra = hashlib.sha256(f"{self.entrypoint_mode}\0{image}\0".encode() + deps).hexdigest()[:6]
        return f"{config.config_hash()}-{extra}"

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
        """Invokes the function once in its warm container (made when needed). Blocks.

        Raises ContainerBackendError (engine down, image missing...) with a message naming the fix;
        function failures, timeouts and crashes come back as an InvokeResult. With ``debug`` the
        invoke runs in a one-off container whose runtime waits under debugpy (see _debug_invoke).
        """
        check_request(event)
        if debug is not None:
            return self._debug_invoke(config, event, sink, cancel, client_context, debug)
        started = time.monotonic()
        try:
            image = self._image(config)
            w, created = self.pool.acquire(
                config, image, self.entrypoint_mode, self._hash(config, image), sink
            )
        except PoolFull:  # as Lambda past the function's concurrency: 429, no unbounded queue
            return InvokeResult.throttled(config.function_id, self.name)
        except ContainerBackendError:
            raise
        except Exception as exc:  # noqa: BLE001 - docker SDK / connection failures
            raise explain_engine_error(exc) from exc
        with w.lock:
            live = _LiveSink(sink) if sink is not None else None
            w.sink = live
            try:
                result = self._invoke_in(w, config, event, cancel, created, started, client_context)
                if live is not None and w.mode == "emulator":
                    live.finish(w, result)
            finally:
                w.sink = None
                w.last_used = time.monotonic()
                w.served += 1
                self.pool.release(w)
        return result

    def prestart(
        self, config: FunctionConfig, sink: LogSink | None = None, cancel: CancelToken | None = None
    ) -> None:
        """Blocks: the image ensured, requirements installed and the function's warm container started,
        ahead of its first invoke. Raises ContainerBackendError as invoke would."""
        if cancel is not None and cancel.is_set():
            return
        try:
            image = self._image(config)
            if cancel is not None and cancel.is_set():
                return
            w, _created = self.pool.acquire(
                config, image, self.entrypoint_mode, self._hash(config, image), sink
            )
            self.pool.release(w)  # warm and idle: the next invoke takes it
        except PoolFull:
            return  # every container of the function is busy: they are warm already
        except ContainerBackendError:
            raise
        except Exception as exc:  # noqa: BLE001 - docker SDK / connection failures
            raise explain_engine_error(exc) from exc
        if w.mode == "emulator":
            _await_warm(w.port, cancel, PRESTART_WAIT_S, w.token)

    def _debug_invoke(
        self,
        config: FunctionConfig,
        event: bytes,
        sink: LogSink | None,
        cancel: CancelToken | None,
        client_context: str | None,
        debug: DebugOptions,
    ) -> InvokeResult:
        """debugpy (the pure wheel, cached) mounted read-only and put on PYTHONPATH, its port published
        on 127.0.0.1:debug.port, the emulator's timeouts off; the container is removed afterwards."""
        started = time.monotonic()
        try:
            image = self._image(config)
            debugpy_dir = ensure_debugpy(self.pool.cache_dir, config.python_version or "3.12")
            w = self.pool.start_debug(config, image, self._hash(config, image), debug, debugpy_dir)
        except SetupError:  # ContainerBackendError too
            raise
        except Exception as exc:  # noqa: BLE001 - docker SDK / connection failures
            raise explain_engine_error(exc) from exc
        if debug.clock is not None:  # the session says when the timeout may count
            debug.clock.connect(lambda held: _post_hold(w.port, held, w.token))
        # "Waiting for a debugger" only once debugpy listens inside: before that docker's published
        # port accepts a connection and resets it.
        stop_watching = threading.Event()
        announce_when_listening(debug, CONTAINER_DEBUG_PORT, lambda: _tcp_tables(w.container), stop_watching)
        try:
            with w.lock:
                w.sink = sink
                result = self._invoke_in(w, config, event, cancel, True, started, client_context)
                if sink is not None:
                    _await_line(w, f"REPORT RequestId: {result.request_id}", 1.0)
                if result.outcome is not Outcome.CANCELLED:
                    time.sleep(DEBUG_GRACE_S)
        finally:
            stop_watching.set()
            if debug.clock is not None:
                debug.clock.connect(None)
            w.sink = None
            self.pool.discard(w)
        result.note = debug_note(debug)
        return result

    # -- one request to a warm container --
    def _invoke_in(
        self,
        w: WarmContainer,
        config: FunctionConfig,
        event: bytes,
        cancel: CancelToken | None,
        created: bool,
        started: float,
        client_context: str | None = None,
    ) -> InvokeResult:
        first_line = len(w.lines)
        headers = {"Content-Type": "application/json", **w.auth_headers()}
        if client_context:
            headers["X-Amz-Client-Context"] = base64.b64encode(client_context.encode()).decode()
        done = threading.Event()
        cancelled = threading.Event()
        if cancel is not None:
            threading.Thread(
                target=self._watch_cancel, args=(w, cancel, done, cancelled), daemon=True
            ).start()
        # a debug invoke waits as long as the debugger holds it
        wait = None if w.debug else config.timeout_s + 60
        conn = http.client.HTTPConnection("127.0.0.1", w.port, timeout=wait)
        sent = time.monotonic()
        try:
            conn.request(
                "POST",
                "/2015-03-31/functions/function/invocations",
                body=event or b"{}",
                headers=headers,
            )
            resp = conn.getresponse()
            body = resp.read()
            answer = {k.lower(): v for k, v in resp.getheaders()}
        except (OSError, http.client.HTTPException) as exc:
            done.set()
            if cancelled.is_set():
                return self._cancelled(w, config, created)
            return self._crashed(w, config, created, exc, (time.monotonic() - sent) * 1000)
        finally:
            done.set()
            conn.close()
        if w.mode == "emulator" and resp.status not in (200, 202, 204):
            # The emulator refused the request itself (413 too large, 400 not JSON): never a success
            # whose payload is its error text.
            raise SetupError(_refusal(resp.status, body))
        if w.mode == "emulator":
            result = self._from_emulator(config, body, answer, created)
        else:
            result = self._from_rie(w, config, body, first_line, created, started)
        if result.outcome in (Outcome.TIMEOUT, Outcome.CRASH) and w.mode == "image":
            self.pool.discard(w)  # RIE's reset leaves state we do not trust: next invoke gets a fresh one
        return result

    def _watch_cancel(
        self, w: WarmContainer, cancel: CancelToken, done: threading.Event, cancelled: threading.Event
    ) -> None:
        while not done.wait(0.05):
            if cancel.is_set():
                cancelled.set()
                self.pool.discard(w)  # the only sure way to stop user code mid-invoke
                return

    def _cancelled(self, w: WarmContainer, config: FunctionConfig, created: bool) -> InvokeResult:
        self.pool.discard(w)
        rid = str(uuid.uuid4())
        return InvokeResult(
            request_id=rid,
            function_id=config.function_id,
            outcome=Outcome.CANCELLED,
            payload=json.dumps(
                {"errorType": "Cancelled", "errorMessage": "Invocation cancelled by the user"}
            ).encode(),
            error=InvokeError("Cancelled", "Invocation cancelled by the user"),
            log_text="".join(line + "\n" for line in w.lines[-50:]),
            cold_start=created,
            backend=self.name,
            note="the container was stopped; the next invoke starts a fresh one",
        )

    def _crashed(
        self, w: WarmContainer, config: FunctionConfig, created: bool, exc: BaseException, elapsed_ms: float
    ) -> InvokeResult:
        """The container died under the invoke (memory kill, docker kill): an ExitError, fresh next time.

        The metrics say what is known: the time from sending the invoke to the death, and the peak
        memory only when the kernel killed it for reaching the limit (else None: the cgroup is gone)."""
        status = "signal: killed"
        oom = False
        with contextlib.suppress(Exception):
            state = w.container.wait(timeout=5)
            code = int(state.get("StatusCode", 137))
            status = "signal: killed" if code in (137, -9) else f"exit status {code}"
        with contextlib.suppress(Exception):
            w.container.reload()
            if w.container.attrs.get("State", {}).get("OOMKilled"):
                status, oom = "signal: killed", True
        self.pool.discard(w)
        rid = _last_request_id(w.lines) or str(uuid.uuid4())
        message = f"RequestId: {rid} Error: Runtime exited with error: {status}"
        lines = [*w.lines[-50:], message, "Runtime.ExitError"]
        return InvokeResult(
            request_id=rid,
            function_id=config.function_id,
            outcome=Outcome.CRASH,
            payload=json.dumps({"errorType": "Runtime.ExitError", "errorMessage": message}).encode(),
            error=InvokeError("Runtime.ExitError", message),
            log_text="".join(line + "\n" for line in lines),
            metrics=InvokeMetrics(
                duration_ms=round(elapsed_ms, 2),
                billed_duration_ms=max(1, math.ceil(elapsed_ms)),
                memory_size_mb=config.memory_mb,
                max_memory_used_mb=config.memory_mb if oom else None,
            ),
            cold_start=created,
            backend=self.name,
            note=f"the container stopped during the invoke ({type(exc).__name__}); the next invoke starts a fresh one",
        )

    def _from_emulator(
        self, config: FunctionConfig, body: bytes, headers: dict[str, str], created: bool
    ) -> InvokeResult:
        try:
            report = json.loads(headers.get("x-lambdastudio-report", "{}"))
        except ValueError:
            report = {}
        log_text = base64.b64decode(headers.get("x-lambdastudio-log", "")).decode("utf-8", "replace")
        try:
            outcome = Outcome(report.get("outcome", "success"))
        except ValueError:
            outcome = Outcome.FUNCTION_ERROR
        if "x-amz-function-error" in headers and outcome is Outcome.SUCCESS:
            outcome = Outcome.FUNCTION_ERROR
        metrics = InvokeMetrics(
            duration_ms=float(report.get("durationMs") or 0.0),
            billed_duration_ms=int(report.get("billedDurationMs") or 0),
            memory_size_mb=int(report.get("memorySizeMb") or config.memory_mb),
            max_memory_used_mb=report.get("maxMemoryUsedMb"),
            init_duration_ms=report.get("initDurationMs"),
        )
        return InvokeResult(
            request_id=str(report.get("requestId") or headers.get("x-amzn-requestid") or uuid.uuid4()),
            function_id=config.function_id,
            outcome=outcome,
            payload=body,
            error=_error_from(body, config, strict=False) if outcome is not Outcome.SUCCESS else None,
            log_text=log_text,
            metrics=metrics,
            cold_start=bool(report.get("cold", created)),
            backend=self.name,
        )

    def _from_rie(
        self, w: WarmContainer, config: FunctionConfig, body: bytes, first: int, created: bool, started: float
    ) -> InvokeResult:
        """The image's own RIE answered: read its REPORT line; measure what RIE does not."""
        wall_ms = (time.monotonic() - started) * 1000
        end = time.monotonic() + 2.0
        with w.line_event:
            while not any(_rie_done(line) for line in w.lines[first:]):
                left = end - time.monotonic()
                if left <= 0:
                    break
                w.line_event.wait(left)
            lines = list(w.lines[first:])
        fields: dict[str, float] = {}
        init_ms: float | None = None
        rid = _last_request_id(lines) or str(uuid.uuid4())
        for line in lines:
            if line.startswith("REPORT RequestId:"):
                fields = {k: float(v) for k, v in _REPORT_FIELD.findall(line)}
            m = _INIT_REPORT.search(line)
            if m and init_ms is None:  # after a failed init RIE logs a second, ~0 ms INIT REPORT
                init_ms = float(m.group(1))  # RIE's REPORT 'Init Duration' is not measured; this is
        user_lines = [line for line in lines if "(rapid)" not in line]
        timed_out = re.match(rb"Task timed out after ([\d.]+) seconds", body.strip())
        if timed_out:  # RIE answers plain text; real Lambda answers this JSON error
            message = f"RequestId: {rid} Error: Task timed out after {timed_out.group(1).decode()} seconds"
            body = json.dumps({"errorType": "Sandbox.Timedout", "errorMessage": message}).encode()
        error = _error_from(body, config)
        outcome = Outcome.SUCCESS
        if error is not None:
            outcome = Outcome.FUNCTION_ERROR
            if error.type == "Sandbox.Timedout" or "Task timed out" in error.message:
                outcome = Outcome.TIMEOUT
            elif error.type == "Runtime.ExitError":
                outcome = Outcome.CRASH
            elif error.type in INIT_ERRORS:
                outcome = Outcome.INIT_ERROR
        cold = created or init_ms is not None or "Init Duration" in fields
        if cold and init_ms is None:
            init_ms = max(0.0, wall_ms - fields.get("Duration", 0.0))
        duration = fields.get("Duration", wall_ms)
        metrics = InvokeMetrics(
            duration_ms=duration,
            billed_duration_ms=int(fields.get("Billed Duration", max(1.0, duration))),
            memory_size_mb=int(fields.get("Memory Size", config.memory_mb)),
            max_memory_used_mb=cgroup_peak_mb(w.container),
            init_duration_ms=init_ms if cold else None,
        )
        user_lines = [_fix_report(line, metrics) for line in user_lines]
        return InvokeResult(
            request_id=rid,
            function_id=config.function_id,
            outcome=outcome,
            payload=body,
            error=error,
            log_text="".join(line + "\n" for line in user_lines),
            metrics=metrics,
            cold_start=cold,
            backend=self.name,
        )


def _await_warm(port: int, cancel: CancelToken | None, limit_s: float, token: str | None = None) -> None:
    """Blocks until the container's emulator reports a runtime whose init finished (or limit_s passes)."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline and not (cancel is not None and cancel.is_set()):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2.0)
        try:
            conn.request("GET", "/lambda-studio/health", headers={TOKEN_HEADER: token} if token else {})
            if int(json.loads(conn.getresponse().read() or b"{}").get("warm") or 0) > 0:
                return
        except (OSError, ValueError, http.client.HTTPException):
            pass
        finally:
            conn.close()
        time.sleep(0.01)


def _post_hold(port: int, held: bool, token: str | None = None) -> None:
    """Tells the emulator in a debug container whether the debugger holds the runtime."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        body = json.dumps({"held": held}).encode()
        headers = {TOKEN_HEADER: token} if token else {}
        conn.request("POST", "/lambda-studio/debug-hold", body=body, headers=headers)
        conn.getresponse().read()
    finally:
        conn.close()


def cgroup_peak_mb(container: Any) -> int | None:
    """The container's peak memory in MB from its cgroup (host file when visible, else the stats API)."""
    cid = str(container.id)
    for path in (
        f"/sys/fs/cgroup/memory/docker/{cid}/memory.max_usage_in_bytes",
        f"/sys/fs/cgroup/system.slice/docker-{cid}.scope/memory.peak",
        f"/sys/fs/cgroup/docker/{cid}/memory.peak",
    ):
        try:
            return max(1, -(-int(Path(path).read_text().strip()) // (1024 * 1024)))
        except (OSError, ValueError):
            continue
    with contextlib.suppress(Exception):
        stats = container.stats(stream=False, one_shot=True)
        peak = int((stats.get("memory_stats") or {}).get("max_usage") or 0)
        if peak:
            return max(1, -(-peak // (1024 * 1024)))
    return None


def _rie_done(line: str) -> bool:
    """RIE's last line of an invoke: its REPORT, or (init error, crash) its failure and reset lines."""
    return line.startswith("REPORT RequestId:") or "(rapid) Invoke DONE failed" in line


def _await_line(w: WarmContainer, prefix: str, timeout_s: float) -> bool:
    """Waits (bounded) until the container's log stream has passed a line starting with prefix."""
    end = time.monotonic() + timeout_s
    with w.line_event:
        while not any(line.startswith(prefix) for line in w.lines[-200:]):
            left = end - time.monotonic()
            if left <= 0:
                return False
            w.line_event.wait(left)
    return True


REPORT_WAIT_S = 1.0  # how long the live log may stall after the answer before the result's log fills it in
REPORT_WAIT_MAX_S = 60.0  # and how long it may keep flowing after the answer (tens of MB of log)


class _LiveSink:
    """The caller's live sink for one invoke; catches up from the result's log if the stream lags."""

    def __init__(self, sink: LogSink) -> None:
        self.sink = sink
        self.delivered: list[str] = []
        self.lock = threading.Lock()
        self.done = False

    def __call__(self, line: str) -> None:
        with self.lock:
            if self.done:
                return
            self.delivered.append(line)
        self.sink(line)

    def finish(self, w: WarmContainer, result: InvokeResult) -> None:
        """Waits for the stream's REPORT; when it does not come in time, delivers the result's lines the
        stream has not, so the live log never misses a line the result's log has (issue 16's race)."""
        prefix, end = f"REPORT RequestId: {result.request_id}", time.monotonic() + REPORT_WAIT_MAX_S
        seen = -1
        # Wait while the stream makes progress (a big log is still flowing), up to a hard bound.
        while len(self.delivered) != seen and time.monotonic() < end:
            seen = len(self.delivered)
            if _await_line(w, prefix, REPORT_WAIT_S):
                return
        with self.lock:
            self.done = True
            delivered = self.delivered
        for line in _missing(delivered, result.log_text.splitlines()):
            with contextlib.suppress(Exception):
                self.sink(line)


def _missing(delivered: list[str], lines: list[str]) -> list[str]:
    """The result's lines after the last ones the stream delivered (matched on up to 3 lines, so a
    repeated line does not misplace it); all of them when nothing matches (a duplicate beats a loss)."""
    for m in (3, 2, 1):
        if len(delivered) < m:
            continue
        tail = delivered[-m:]
        for j in range(len(lines) - m, -1, -1):
            if lines[j : j + m] == tail:
                return lines[j + m :]
    return lines


def _refusal(status: int, body: bytes) -> str:
    """The emulator's Invoke API error as one message (Lambda's error shape: Type, message)."""
    try:
        data = json.loads(body.decode("utf-8"))
        message = str(data.get("message") or data.get("errorMessage") or body[:300])
    except (ValueError, UnicodeDecodeError, AttributeError):
        message = body[:300].decode("utf-8", "replace")
    return f"the invoke was refused ({status}): {message}"


def _fix_report(line: str, metrics: InvokeMetrics) -> str:
    """RIE's REPORT line with the numbers it does not measure (memory, init) replaced by ours."""
    if not line.startswith("REPORT RequestId:"):
        return line
    fields = [f for f in line.rstrip("\t").split("\t") if not f.startswith("Init Duration")]
    if metrics.max_memory_used_mb is not None:
        fields = [
            f"Max Memory Used: {metrics.max_memory_used_mb} MB" if f.startswith("Max Memory Used") else f
            for f in fields
        ]
    if metrics.init_duration_ms is not None:
        fields.append(f"Init Duration: {metrics.init_duration_ms:.2f} ms")
    return "\t".join(fields)


def _last_request_id(lines: list[str]) -> str | None:
    for line in reversed(lines):
        m = re.search(r"(?:START|END|REPORT) RequestId: ([0-9a-f-]{36})", line)
        if m:
            return m.group(1)
    return None


def _error_from(body: bytes, config: FunctionConfig, strict: bool = True) -> InvokeError | None:
    """An InvokeError when the body is Lambda's error JSON; frames map /var/task and /opt to local files.

    strict: only a body shaped exactly like Lambda's error JSON counts (RIE gives no other signal).
    """
    if strict:
        try:
            data = json.loads(body.decode("utf-8")) if body else None
        except (ValueError, UnicodeDecodeError):
            return None
        if not isinstance(data, dict) or "errorType" not in data or "errorMessage" not in data:
            return None
        if not set(data) <= {"errorType", "errorMessage", "stackTrace", "requestId", "cause"}:
            return None
    path_map = {"/var/task": config.code_dir}
    if config.layer_dirs:
        path_map["/opt"] = config.layer_dirs[-1]  # the last layer wins in /opt, as in Lambda
    return error_from_payload(body, path_map)


def _tcp_tables(container: Any) -> str | None:
    """The container's /proc/net/tcp and tcp6 (read with an exec); None when they cannot be read."""
    code, output = container.exec_run(["cat", "/proc/net/tcp", "/proc/net/tcp6"], demux=False)
    text = (output or b"").decode("utf-8", "replace")
    return text if "local_address" in text else None
