"""The Runtime API (2018-06-01) one runtime process polls: next event, response, errors."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING
from urllib.parse import unquote

from .common import MAX_SYNC_PAYLOAD
from .http_base import Handler, json_bytes

if TYPE_CHECKING:
    from .runtime import Runtime

# A runtime idle in /next this long is frozen (SIGSTOP of its tree) until its next event. Not at once:
# under load the next event follows within milliseconds, and a stop and continue of the tree costs
# more CPU than the invoke itself (measured: ~0.7 ms of serve's CPU and ~2.4 ms of latency per invoke).
FREEZE_AFTER_S = 0.02


class RuntimeApiHandler(Handler):
    """The 2018-06-01 Runtime API one runtime process talks to."""

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        rt: Runtime = self.server.runtime  # type: ignore[attr-defined]
        if self.path.rstrip("/") != "/2018-06-01/runtime/invocation/next":
            self.reply(404, json_bytes({"errorMessage": "not found", "errorType": "InvalidRoute"}))
            return
        with rt.lock:
            proc = rt.proc
            if rt.ready_at is None:
                rt.ready_at = time.monotonic()
            idle_since = time.monotonic()
            while True:
                if rt.proc is not proc or (proc is not None and proc.poll() is not None):
                    self.close_connection = True
                    return  # this poll came from a runtime since killed (or replaced): leave the event
                inv = rt.current
                if inv is not None and inv.delivered_at is None and not inv.done.is_set():
                    break
                idle = time.monotonic() - idle_since
                if idle < FREEZE_AFTER_S:  # a busy runtime's next event is usually already on its way
                    rt.lock.wait(FREEZE_AFTER_S - idle)
                    continue
                rt.freeze()  # idle in /next: stopped until its next event, as Lambda freezes it
                rt.lock.wait(1.0)  # re-check now and then: a dead runtime's poll must not linger
            rt.thaw()
            inv.delivered_at = time.monotonic()
            inv.deadline_ms = int(time.time() * 1000 + rt.emu.timeout_s * 1000)
        rt.emu.emit(f"START RequestId: {inv.request_id} Version: $LATEST", inv)
        headers = {
            "Lambda-Runtime-Aws-Request-Id": inv.request_id,
            "Lambda-Runtime-Deadline-Ms": str(inv.deadline_ms),
            "Lambda-Runtime-Invoked-Function-Arn": rt.emu.function_arn,
            "Lambda-Runtime-Trace-Id": inv.trace_id,
        }
        if inv.client_context:
            headers["Lambda-Runtime-Client-Context"] = inv.client_context
        if inv.cognito_identity:
            headers["Lambda-Runtime-Cognito-Identity"] = inv.cognito_identity
        self.reply(200, inv.payload, headers)

    def do_POST(self) -> None:  # noqa: N802
        rt: Runtime = self.server.runtime  # type: ignore[attr-defined]
        parts = self.path.strip("/").split("/")
        if parts[:3] == ["2018-06-01", "runtime", "init"] and parts[3:] == ["error"]:
            body, _ = self.read_body(MAX_SYNC_PAYLOAD)
            with rt.lock:
                rt.init_error = body or b"{}"
                if rt.current is not None:
                    rt.current.done.set()
            self.reply(202, b'{"status":"OK"}')
            return
        if (
            len(parts) != 5
            or parts[:3] != ["2018-06-01", "runtime", "invocation"]
            or parts[4]
            not in (
                "response",
                "error",
            )
        ):
            self.read_body(MAX_SYNC_PAYLOAD)
            self.reply(404, json_bytes({"errorMessage": "not found", "errorType": "InvalidRoute"}))
            return
        rid, kind = unquote(parts[3]), parts[4]
        body, size = self.read_body(MAX_SYNC_PAYLOAD)
        with rt.lock:
            inv = rt.current
            if rid in rt.answered:
                status, answer = (
                    403,
                    {"errorMessage": "Invalid state transition", "errorType": "InvalidStateTransition"},
                )
            elif inv is None or inv.request_id != rid or inv.delivered_at is None:
                status, answer = 400, {"errorMessage": "Invalid request ID", "errorType": "InvalidRequestID"}
            elif body is None:
                status = 413
                answer = {
                    "errorMessage": f"Exceeded maximum allowed payload size ({MAX_SYNC_PAYLOAD} bytes).",
                    "errorType": "RequestEntityTooLarge",
                }
                inv.too_large = True
            else:
                status, answer = 202, {"status": "OK"}
                if kind == "response":
                    inv.response = body
                else:
                    inv.error = body
                    inv.error_type_header = self.headers.get("Lambda-Runtime-Function-Error-Type")
            if status in (202, 413) and inv is not None:
                rt.answered.add(rid)
                inv.finished_at = time.monotonic()
                inv.done.set()
        self.reply(status, json_bytes(answer))
