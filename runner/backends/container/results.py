"""Reading a container's answer as an InvokeResult: the emulator's report, RIE's log lines, a cancel, a death."""

from __future__ import annotations

import base64
import contextlib
import json
import math
import re
import time
import uuid
from pathlib import Path
from typing import Any

from runner.backends.container.warm import WarmContainer
from runner.config import FunctionConfig
from runner.result import InvokeError, InvokeMetrics, InvokeResult, Outcome, error_from_payload

BACKEND = "container"  # the backend's name in results
INIT_ERRORS = {
    "Runtime.ImportModuleError",
    "Runtime.UserCodeSyntaxError",
    "Runtime.HandlerNotFound",
    "Runtime.MalformedHandlerName",
    "Runtime.BuiltInModuleConflict",
}
_REPORT_FIELD = re.compile(r"(Duration|Billed Duration|Memory Size|Max Memory Used|Init Duration): ([\d.]+)")
_INIT_REPORT = re.compile(r"INIT REPORT\(durationMs: ([\d.]+)")


def cancelled_result(w: WarmContainer, config: FunctionConfig, created: bool) -> InvokeResult:
    """The user cancelled the invoke (the caller removed its container)."""
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
        backend=BACKEND,
        note="the container was stopped; the next invoke starts a fresh one",
    )


def exit_state(w: WarmContainer) -> tuple[str, bool]:
    """How the container ended (docker's exit status) and whether the kernel killed it for memory; blocks
    up to 5 s on docker."""
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
    return status, oom


def crashed_result(
    w: WarmContainer,
    config: FunctionConfig,
    created: bool,
    exc: BaseException,
    elapsed_ms: float,
    status: str,
    oom: bool,
) -> InvokeResult:
    """The container died under the invoke (memory kill, docker kill): an ExitError, fresh next time.

    The metrics say what is known: the time from sending the invoke to the death, and the peak
    memory only when the kernel killed it for reaching the limit (else None: the cgroup is gone)."""
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
        backend=BACKEND,
        note=f"the container stopped during the invoke ({type(exc).__name__}); the next invoke starts a fresh one",
    )


def from_emulator(
    config: FunctionConfig, body: bytes, headers: dict[str, str], created: bool
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
        error=error_from(body, config, strict=False) if outcome is not Outcome.SUCCESS else None,
        log_text=log_text,
        metrics=metrics,
        cold_start=bool(report.get("cold", created)),
        backend=BACKEND,
    )


def from_rie(
    w: WarmContainer, config: FunctionConfig, body: bytes, first: int, created: bool, started: float
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
    error = error_from(body, config)
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
        backend=BACKEND,
    )


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


def refusal(status: int, body: bytes) -> str:
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


def error_from(body: bytes, config: FunctionConfig, strict: bool = True) -> InvokeError | None:
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
