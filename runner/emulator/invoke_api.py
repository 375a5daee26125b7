"""The Invoke API (2015-03-31) and Lambda Studio's own routes, served for a set of functions."""

from __future__ import annotations

import base64
import hmac
import json
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from .async_queue import ASYNC_QUEUE_BYTES, RETRY_DELAYS_S, AsyncQueue
from .common import (
    HEADER_LOG_BYTES,
    MAX_ASYNC_PAYLOAD,
    MAX_REQUEST_PAYLOAD,
    MAX_SYNC_PAYLOAD,
    TAIL_BYTES,
    TOKEN_HEADER,
    InvalidEvent,
    RequestTooLarge,
    parse_event,
)
from .http_base import Handler, QuietServer, json_bytes
from .invocation import Throttled
from .supervisor import Emulator

if TYPE_CHECKING:
    from .common import LogSink


def _resolve(functions: Mapping[str, Emulator], name: str) -> Emulator | None:
    """A function by name, by ARN (any qualifier), or 'function' when only one is served (RIE)."""
    if ":function:" in name:
        name = name.split(":function:", 1)[1].split(":", 1)[0]
    else:
        name = name.split(":", 1)[0]
    if name in functions:
        return functions[name]
    if name == "function" and len(functions) == 1:
        return next(iter(functions.values()))
    return None


def _aws_error(handler: Handler, status: int, kind: str, message: str, **extra: str) -> None:
    body = {"Type": "User", "message": message, **extra}
    handler.reply(status, json_bytes(body), {"x-amzn-ErrorType": kind})


class _InvokeApiHandler(Handler):
    """The Invoke API (AWS and RIE shapes) in front of one or more emulators."""

    def _functions(self) -> Mapping[str, Emulator]:
        return self.server.functions()  # type: ignore[attr-defined]

    def _refused(self) -> bool:
        """True (after answering 403) when the server has a token and the request lacks it."""
        token: str | None = self.server.token  # type: ignore[attr-defined]
        given = self.headers.get(TOKEN_HEADER) or ""
        if token is None or hmac.compare_digest(given.encode(), token.encode()):
            return False
        self.close_connection = True
        _aws_error(self, 403, "AccessDeniedException", f"This endpoint needs its {TOKEN_HEADER} header.")
        return True

    def do_GET(self) -> None:  # noqa: N802
        if self._refused():
            return
        path = self.path.split("?", 1)[0]
        if path == "/lambda-studio/health":
            functions = self._functions()
            # what serves a name may be a lazily made function (serve): count only what reports it
            warm = sum(int(getattr(emu, "warm_count", 0) or 0) for emu in functions.values())
            self.reply(200, json_bytes({"status": "ok", "functions": sorted(functions), "warm": warm}))
            return
        if path.startswith("/lambda-studio/logs/"):
            rid = unquote(path.rsplit("/", 1)[1])
            for target in self._functions().values():
                text = target.recent_log(rid) if hasattr(target, "recent_log") else None
                if text is not None:
                    self.reply(200, text.encode(), {"Content-Type": "text/plain; charset=utf-8"})
                    return
        _aws_error(self, 404, "ResourceNotFoundException", f"Not found: {path}")

    def do_POST(self) -> None:  # noqa: N802
        if self._refused():
            return
        path = self.path.split("?", 1)[0]
        parts = path.strip("/").split("/")
        if path == "/lambda-studio/debug-hold":
            body, _ = self.read_body(4096)
            try:
                held = bool(json.loads(body or b"{}").get("held"))
            except (ValueError, AttributeError):
                _aws_error(self, 400, "InvalidRequestContentException", 'expected {"held": true|false}')
                return
            for target in self._functions().values():
                if hasattr(target, "debug_hold"):
                    target.debug_hold(held)
            self.reply(200, b'{"status":"OK"}')
            return
        if path == "/lambda-studio/reload":
            self.read_body(MAX_SYNC_PAYLOAD)
            for target in self._functions().values():
                if hasattr(target, "reload"):
                    target.reload()
            self.reply(200, b'{"status":"OK"}')
            return
        if (
            len(parts) != 4
            or parts[0] != "2015-03-31"
            or parts[1] != "functions"
            or parts[3] != "invocations"
        ):
            self.read_body(MAX_SYNC_PAYLOAD)
            _aws_error(self, 404, "ResourceNotFoundException", f"Unknown route {path}")
            return
        name = unquote(parts[2])
        kind = self.headers.get("X-Amz-Invocation-Type") or "RequestResponse"
        limit = MAX_ASYNC_PAYLOAD if kind == "Event" else MAX_REQUEST_PAYLOAD
        body, size = self.read_body(limit)
        found = _resolve(self._functions(), name)
        if found is None:
            _aws_error(self, 404, "ResourceNotFoundException", f"Function not found: {name}")
            return
        emu = found
        if body is None:
            message = f"Request must be smaller than {limit} bytes for the InvokeFunction operation"
            _aws_error(self, 413, "RequestTooLargeException", message)
            return
        try:  # Lambda refuses a non-JSON payload (NaN too) before any runtime sees it
            body = parse_event(body)
        except InvalidEvent as exc:
            _aws_error(self, 400, "InvalidRequestContentException", str(exc))
            return
        if kind == "DryRun":
            self.reply(204)
            return
        client_context = None
        raw_cc = self.headers.get("X-Amz-Client-Context")
        if raw_cc:
            try:
                client_context = base64.b64decode(raw_cc).decode("utf-8")
            except ValueError:
                _aws_error(self, 400, "InvalidRequestContentException", "Client context must be base64 JSON")
                return
        if kind == "Event":
            queue: AsyncQueue = self.server.async_queue  # type: ignore[attr-defined]
            request_id = queue.put(name, emu, body, client_context)
            if request_id is None:  # the queue is full: not accepted, so nothing is lost
                _aws_error(self, 429, "TooManyRequestsException", "Rate Exceeded.", Reason="AsyncQueueFull")
                return
            self.reply(202, b"", {"x-amzn-RequestId": request_id})
            return
        try:
            inv = emu.invoke(body or b"{}", client_context=client_context)
        except Throttled:
            _aws_error(
                self,
                429,
                "TooManyRequestsException",
                "Rate Exceeded.",
                Reason="ConcurrentInvocationLimitExceeded",
            )
            return
        except RequestTooLarge as exc:
            _aws_error(self, 413, "RequestTooLargeException", str(exc))
            return
        except Exception as exc:  # noqa: BLE001 - a function that cannot start: say why, do not hang up
            _aws_error(self, 500, "ServiceException", f"{type(exc).__name__}: {exc}")
            return
        log = inv.log_text.encode()
        headers = {
            "x-amzn-RequestId": inv.request_id,
            "X-Amz-Executed-Version": "$LATEST",
            "X-LambdaStudio-Report": json.dumps(inv.report(), separators=(",", ":")),
            "X-LambdaStudio-Log": base64.b64encode(log[-HEADER_LOG_BYTES:]).decode(),
        }
        if inv.function_error:
            headers["X-Amz-Function-Error"] = "Unhandled"
        if (self.headers.get("X-Amz-Log-Type") or "").lower() == "tail":
            headers["X-Amz-Log-Result"] = base64.b64encode(log[-TAIL_BYTES:]).decode()
        self.reply(200, inv.body, headers)


def _stderr_line(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


class InvokeServer:
    """Serves the Invoke API for a changing set of functions (``functions`` is read per request).

    A function is an Emulator or anything with ``invoke(payload, *, client_context=None)`` returning an
    object with request_id, body, function_error, log_text and report() (an Invocation or an
    ``Answer``), raising Throttled when busy; optional recent_log(id), reload(), debug_hold(held).
    Event invokes go through ``async_queue``; its reports go to ``log`` (stderr by default).
    """

    def __init__(
        self,
        functions: Callable[[], Mapping[str, Any]],
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        log: LogSink | None = None,
        retry_delays: Sequence[float] = RETRY_DELAYS_S,
        async_queue_bytes: int = ASYNC_QUEUE_BYTES,
        token: str | None = None,
    ) -> None:
        self.httpd = QuietServer((host, port), _InvokeApiHandler)
        self.httpd.daemon_threads = True
        self.httpd.functions = functions  # type: ignore[attr-defined]
        self.httpd.token = token  # type: ignore[attr-defined]
        self.async_queue = AsyncQueue(log or _stderr_line, retry_delays, async_queue_bytes)
        self.httpd.async_queue = self.async_queue  # type: ignore[attr-defined]
        self.thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    def start(self) -> InvokeServer:
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.5,), daemon=True)
        self.thread.start()
        return self

    def shutdown(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.async_queue.close()
