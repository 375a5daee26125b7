"""A pure-Python Lambda runtime client (stdlib only): the loop awslambdaric runs, for every desktop OS.

Run as ``python bootstrap.py [HANDLER]`` with AWS_LAMBDA_RUNTIME_API set (the handler defaults to
$_HANDLER). LAMBDA_STUDIO_SYS_PATH (os.pathsep-separated) is put at the front of sys.path in
order: the task root, then layers' python/ dirs, then installed requirements.

One file on purpose (about 450 lines, above the house's ~400): it runs by path under the function's
own interpreter and takes its folder off sys.path before loading user code, so it has no sibling
modules to import; splitting it would mean putting our modules where a user's could shadow them.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import json
import logging
import os
import socket
import sys
import time
import traceback
from collections.abc import Mapping
from typing import Any

NBSP = "\u00a0"
_request_id = ""


class FaultError(Exception):
    """A runtime-level failure with the errorType Lambda reports (Runtime.ImportModuleError...)."""

    def __init__(self, error_type: str, message: str, trace: list[str] | None = None) -> None:
        super().__init__(message)
        self.error_type, self.message, self.trace = error_type, message, trace or []


# -- the Runtime API client --
class RuntimeClient:
    """Talks to $AWS_LAMBDA_RUNTIME_API over one persistent HTTP/1.1 connection. A few lines of
    socket code on purpose: importing http.client alone costs ~25 ms of every cold start."""

    def __init__(self, address: str) -> None:
        host, _, port = address.partition(":")
        self.host, self.port = host, int(port or 80)
        self.sock: socket.socket | None = None
        self.rfile: Any = None

    def _close(self) -> None:
        if self.sock is not None:
            self.sock.close()
        self.sock = self.rfile = None

    def _request(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        for attempt in (0, 1):
            fresh = self.sock is None
            if self.sock is None:
                self.sock = socket.create_connection((self.host, self.port))  # no timeout: long poll
                self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self.rfile = self.sock.makefile("rb")
            try:
                return self._exchange(method, path, body, headers or {})
            except (OSError, ValueError, IndexError):
                self._close()
                if attempt or fresh:  # retry once, and only a kept-alive connection that went stale
                    raise
        raise ConnectionError("unreachable")

    def _exchange(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        assert self.sock is not None
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        if body is not None:
            lines.append(f"Content-Length: {len(body)}")
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + (body or b""))
        status_line = self.rfile.readline()
        if not status_line:
            raise ConnectionError("the Runtime API closed the connection")
        status = int(status_line.split()[1])
        got: dict[str, str] = {}
        while True:
            line = self.rfile.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            key, _, value = line.decode("utf-8", "replace").partition(":")
            got[key.strip().lower()] = value.strip()
        if "chunked" in got.get("transfer-encoding", "").lower():
            parts = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                parts.append(self.rfile.read(size))
                self.rfile.readline()
            data = b"".join(parts)
        else:
            data = self.rfile.read(int(got.get("content-length") or 0))
        if got.get("connection", "").lower() == "close":
            self._close()
        return status, got, data

    def next(self) -> tuple[dict[str, str], bytes]:
        status, headers, body = self._request("GET", "/2018-06-01/runtime/invocation/next")
        if status != 200:
            raise ConnectionError(f"next invocation failed: HTTP {status}")
        return headers, body

    def post(self, path: str, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        hdrs = {"Content-Type": "application/json", **(headers or {})}
        status, _, data = self._request("POST", "/2018-06-01/runtime" + path, body, hdrs)
        return status, data


# -- the context object --
class CognitoIdentity:
    __slots__ = ("cognito_identity_id", "cognito_identity_pool_id")

    def __init__(self, data: dict[str, Any]) -> None:
        self.cognito_identity_id = data.get("cognitoIdentityId")
        self.cognito_identity_pool_id = data.get("cognitoIdentityPoolId")


class Client:
    __slots__ = ("installation_id", "app_title", "app_version_name", "app_version_code", "app_package_name")

    def __init__(self, data: dict[str, Any]) -> None:
        for name in self.__slots__:
            camel = "".join(w.capitalize() if i else w for i, w in enumerate(name.split("_")))
            setattr(self, name, data.get(camel))


class ClientContext:
    __slots__ = ("client", "custom", "env")

    def __init__(self, data: dict[str, Any]) -> None:
        self.client = Client(data["client"]) if isinstance(data.get("client"), dict) else None
        self.custom = data.get("custom")
        self.env = data.get("env")


class LambdaContext:
    """The ``context`` argument: request id, function identity, limits and the remaining time."""

    def __init__(
        self, request_id: str, arn: str, deadline_ms: int, client_context: Any, cognito: Any
    ) -> None:
        self.aws_request_id = request_id
        self.invoked_function_arn = arn
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.identity = CognitoIdentity(cognito or {})
        self.client_context = ClientContext(client_context) if isinstance(client_context, dict) else None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self._deadline_ms - int(time.time() * 1000))

    def log(self, msg: str) -> None:
        sys.stdout.write(msg)

    def __repr__(self) -> str:
        return f"LambdaContext([aws_request_id={self.aws_request_id},function_name={self.function_name}])"


# -- marshalling --
def to_json(obj: Any) -> bytes:
    """Lambda's JSON: Decimal as a number (its exact digits), NaN allowed, UTF-8 on 3.12+ runtimes."""
    raws: list[str] = []
    nonce = os.urandom(4).hex()

    def default(o: Any) -> Any:
        decimal = sys.modules.get("decimal")  # a Decimal exists only if its module was imported
        if decimal is not None and isinstance(o, decimal.Decimal):
            if o.is_nan():
                return float("nan")
            raws.append(str(o))
            return f"\x00{nonce}{len(raws) - 1}\x00"
        raise TypeError(f"Object of type {type(o).__name__} is not JSON serializable")

    new_runtime = os.environ.get("AWS_EXECUTION_ENV", "") >= "AWS_Lambda_python3.12"
    text = json.dumps(obj, default=default, ensure_ascii=not new_runtime, allow_nan=True)
    for i, raw in enumerate(raws):
        text = text.replace(f'"\\u0000{nonce}{i}\\u0000"', raw)
    return text.encode("utf-8")


# -- logging --
class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = _request_id
        return True


class _JsonFormatter(logging.Formatter):
    _reserved = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
        "aws_request_id",
        "message",
        "asctime",
    }

    def format(self, record: logging.LogRecord) -> str:
        level = min(50, max(0, record.levelno)) // 10 * 10
        out: dict[str, Any] = {
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record.created)),
            "level": logging.getLevelName(level),
            "message": record.msg
            if isinstance(record.msg, dict) and not record.args
            else record.getMessage(),
            "logger": record.name,
        }
        if record.exc_info and record.exc_info[0] is not None:
            out["stackTrace"] = traceback.format_tb(record.exc_info[2])
            out["errorType"] = record.exc_info[0].__name__
            out["errorMessage"] = str(record.exc_info[1])
            out["location"] = f"{record.pathname}:{record.funcName}:{record.lineno}"
        out["requestId"] = getattr(record, "aws_request_id", "")
        for key, value in vars(record).items():
            if key not in self._reserved and key not in out and not key.startswith("_"):
                out[key] = value
        return json.dumps(out, ensure_ascii=False, default=str)


class _StdoutHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stdout.write(self.format(record) + "\n")
        except Exception:  # logging must never break the handler
            self.handleError(record)


def json_logs() -> bool:
    return (os.environ.get("AWS_LAMBDA_LOG_FORMAT") or "").upper() == "JSON"


def setup_logging() -> None:
    logging.Formatter.converter = time.gmtime
    handler = _StdoutHandler()
    if json_logs():
        handler.setFormatter(_JsonFormatter())
    else:
        fmt = "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s"
        handler.setFormatter(logging.Formatter(fmt, "%Y-%m-%dT%H:%M:%S"))
    handler.addFilter(_RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    level = {"TRACE": "DEBUG"}.get((os.environ.get("AWS_LAMBDA_LOG_LEVEL") or "").upper(), "")
    level = level or (os.environ.get("AWS_LAMBDA_LOG_LEVEL") or "").upper()
    if isinstance(logging.getLevelName(level), int):
        root.setLevel(level)


def log_error(error: dict[str, Any]) -> None:
    """Logs an error the way the Python runtime does (NBSP-indented traceback, or one JSON line)."""
    if json_logs():
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        sys.stdout.write(
            json.dumps({"timestamp": stamp, "level": "ERROR", **error}, ensure_ascii=False) + "\n"
        )
        return
    head = "[ERROR]"
    if error.get("errorType"):
        head += " " + error["errorType"] + (":" if error.get("errorMessage") else "")
    if error.get("errorMessage"):
        head += " " + error["errorMessage"]
    lines = [head, "Traceback (most recent call last):"]
    for element in error.get("stackTrace") or []:
        for line in element.splitlines():
            stripped = line.lstrip(" ")
            lines.append(NBSP * (len(line) - len(stripped)) + stripped)
    sys.stdout.write("\n".join(lines) + "\n")


# -- handler resolution and errors --
def user_frames(tb: Any) -> list[str]:
    """The traceback without this file's leading frames, formatted like traceback.format_list."""
    frames = traceback.extract_tb(tb)
    own = os.path.abspath(__file__)
    start = 0
    while start < len(frames) and os.path.abspath(frames[start].filename) == own:
        start += 1  # only this file's frames: a user module may be called bootstrap.py too
    machinery = os.path.dirname(os.path.abspath(importlib.__file__))  # import_module's own frames
    kept = [
        f
        for f in frames[start:]
        if "importlib._bootstrap" not in f.filename
        and os.path.dirname(os.path.abspath(f.filename)) != machinery
    ]
    return traceback.format_list(kept)


def load_handler(handler: str) -> Any:
    try:
        modname, fname = handler.rsplit(".", 1)
    except ValueError as exc:
        raise FaultError("Runtime.MalformedHandlerName", f"Bad handler '{handler}': {exc}")
    if modname.split(".")[0] in sys.builtin_module_names:
        raise FaultError(
            "Runtime.BuiltInModuleConflict", f"Cannot use built-in module {modname} as a handler module"
        )
    try:
        module = importlib.import_module(modname.replace("/", "."))
    except ImportError as exc:
        raise FaultError("Runtime.ImportModuleError", f"Unable to import module '{modname}': {exc}")
    except SyntaxError as exc:
        trace = [f'  File "{exc.filename}" Line {exc.lineno}\n    {exc.text}']
        raise FaultError("Runtime.UserCodeSyntaxError", f"Syntax error in module '{modname}': {exc}", trace)
    try:
        return getattr(module, fname)
    except AttributeError:
        raise FaultError("Runtime.HandlerNotFound", f"Handler '{fname}' missing on module '{modname}'")


def make_error(
    message: str, error_type: str, trace: list[str], request_id: str | None = None
) -> dict[str, Any]:
    return {
        "errorMessage": message or "",
        "errorType": error_type or "",
        "requestId": request_id or "",
        "stackTrace": trace or [],
    }


def _parse_header_json(value: str | None, what: str) -> Any:
    if not value:
        return None
    try:
        return json.loads(value)
    except ValueError as exc:
        raise FaultError("Runtime.LambdaContextUnmarshalError", f"Unable to parse {what} JSON: {exc}")


def handle(client: RuntimeClient, fn: Any, headers: dict[str, str], body: bytes) -> None:
    global _request_id
    rid = headers.get("lambda-runtime-aws-request-id", "")
    _request_id = rid
    trace = headers.get("lambda-runtime-trace-id")
    if trace:
        os.environ["_X_AMZN_TRACE_ID"] = trace
    else:
        os.environ.pop("_X_AMZN_TRACE_ID", None)
    error: dict[str, Any] | None = None
    try:
        context = LambdaContext(
            rid,
            headers.get("lambda-runtime-invoked-function-arn", ""),
            int(headers.get("lambda-runtime-deadline-ms") or 0),
            _parse_header_json(headers.get("lambda-runtime-client-context"), "Client Context"),
            _parse_header_json(headers.get("lambda-runtime-cognito-identity"), "Cognito Identity"),
        )
        try:
            event = json.loads(body) if body else None
        except ValueError as exc:
            raise FaultError("Runtime.UnmarshalError", f"Unable to unmarshal input: {exc}")
        result = fn(event, context)
        if isinstance(result, bytes):
            payload = result
        else:
            try:
                payload = to_json(result)
            except (TypeError, ValueError) as exc:
                raise FaultError("Runtime.MarshalError", f"Unable to marshal response: {exc}")
    except FaultError as exc:
        error = make_error(exc.message, exc.error_type, exc.trace, rid)
    except Exception as exc:
        error = make_error(str(exc), type(exc).__name__, user_frames(exc.__traceback__), rid)
    if error is not None:
        log_error(error)
        client.post(
            f"/invocation/{rid}/error",
            to_json(error),
            {"Lambda-Runtime-Function-Error-Type": error["errorType"]},
        )
        return
    status, answer = client.post(f"/invocation/{rid}/response", payload)
    if status == 413:
        sys.stdout.write(
            f"[ERROR] Failed to post handler success response. Http response code: 413. {answer.decode()}\n"
        )


class _FreshSourceLoader(importlib.machinery.SourceFileLoader):
    """Compiles user code from source every time: a hot reload must never meet a stale .pyc (pyc
    validation is by whole-second mtime and size, so a same-size edit within a second would be missed)."""

    def path_stats(self, path: str) -> Mapping[str, Any]:
        raise OSError("bytecode cache disabled for user code")


def install_fresh_imports(roots: list[str]) -> None:
    """User code under ``roots`` (task root, layers) is imported from source, never from __pycache__."""
    norm = [os.path.normcase(os.path.abspath(r)) for r in roots if r]
    m = importlib.machinery
    details = [
        (_FreshSourceLoader, m.SOURCE_SUFFIXES),
        (m.ExtensionFileLoader, m.EXTENSION_SUFFIXES),
        (m.SourcelessFileLoader, m.BYTECODE_SUFFIXES),
    ]

    def hook(path: str) -> Any:
        p = os.path.normcase(os.path.abspath(path or "."))
        if any(p == r or p.startswith(r + os.sep) for r in norm) and os.path.isdir(p):
            return m.FileFinder(path, *details)
        raise ImportError("not user code")

    sys.path_hooks.insert(0, hook)
    sys.path_importer_cache.clear()


def main(argv: list[str]) -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    if sys.path and os.path.abspath(sys.path[0] or ".") == here:
        del sys.path[0]  # runner/ must not shadow user modules (config.py, result.py...)
    extra = [p for p in os.environ.pop("LAMBDA_STUDIO_SYS_PATH", "").split(os.pathsep) if p]
    task_root = os.environ.get("LAMBDA_TASK_ROOT") or os.getcwd()
    sys.path[:0] = extra or [task_root]
    sources = os.environ.pop("LAMBDA_STUDIO_SOURCE_DIRS", "").split(os.pathsep)
    install_fresh_imports([task_root, *sources])
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(line_buffering=True, write_through=True)
    handler = argv[1] if len(argv) > 1 else os.environ.get("_HANDLER", "")
    client = RuntimeClient(os.environ["AWS_LAMBDA_RUNTIME_API"])
    setup_logging()
    error: dict[str, Any] | None = None
    try:
        fn = load_handler(handler)
    except FaultError as exc:
        error = make_error(exc.message, exc.error_type, exc.trace)
    except Exception as exc:
        error = make_error(str(exc), type(exc).__name__, user_frames(exc.__traceback__))
    if error is not None:
        log_error(error)
        client.post("/init/error", to_json(error), {"Lambda-Runtime-Function-Error-Type": error["errorType"]})
        return 1
    while True:
        headers, body = client.next()
        handle(client, fn, headers, body)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
