"""The Lambda Invoke API of the local application on 127.0.0.1: synchronous and Event (asynchronous) invokes.

Functions get it as AWS_ENDPOINT_URL_LAMBDA, so their own ``lambda.invoke(...)`` reaches the local
functions; users can call it with ``aws lambda invoke --endpoint-url``.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

from runner.result import SetupError

_PATH = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/invocations$")
MAX_SYNC = 6 * 1024 * 1024
MAX_ASYNC = 1024 * 1024


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet, like the endpoint
        return

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        match = _PATH.match(self.path.split("?", 1)[0])
        if match is None:
            self._error(404, "UnknownOperationException", f"no operation at {self.path}")
            return
        name = unquote(match.group("name")).split(":function:")[-1].split(":")[0]
        kind = self.headers.get("X-Amz-Invocation-Type") or "RequestResponse"
        length = int(self.headers.get("Content-Length") or 0)
        limit = MAX_ASYNC if kind == "Event" else MAX_SYNC
        if length > limit:
            self._error(413, "RequestTooLargeException", f"the payload is larger than {limit} bytes")
            return
        body = self.rfile.read(length) if length else b"{}"
        try:
            json.loads(body or b"null")
        except ValueError:
            self._error(400, "InvalidRequestContentException", "Could not parse request body into json")
            return
        cloud = self.server.cloud
        if cloud.functions is None or cloud.functions.spec(name) is None:
            self._error(404, "ResourceNotFoundException", f"Function not found: {name}")
            return
        spec = cloud.functions.spec(name)
        if kind == "Event":
            if cloud.wiring is None:
                self._error(500, "ServiceException", "asynchronous invokes need the local triggers running")
                return
            cloud.wiring.invoke_async(spec.logical_id, body)
            self._send(202, b"", {})
            return
        if kind == "DryRun":
            self._send(204, b"", {})
            return
        try:
            result = cloud.functions.invoke(spec.logical_id, body, self.server.log)
        except SetupError as exc:
            self._error(500, "ServiceException", str(exc))
            return
        headers = {"X-Amz-Executed-Version": "$LATEST"}
        if not result.ok:
            headers["X-Amz-Function-Error"] = "Unhandled"
        self._send(200, result.payload or b"null", headers)

    def _error(self, status: int, kind: str, message: str) -> None:
        body = json.dumps({"Type": "User", "message": message}).encode()
        self._send(status, body, {"x-amzn-ErrorType": kind})

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    cloud: Any
    log: Callable[[str], None]


class InvokeApi:
    """The Invoke API for one LocalCloud; listens from construction, serves after start()."""

    def __init__(self, cloud: Any, log: Callable[[str], None], port: int = 0) -> None:
        self.httpd = _Server(("127.0.0.1", port), _Handler)
        self.httpd.cloud = cloud
        self.httpd.log = log
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, args=(0.5,), name="invoke api", daemon=True
        )

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():
            self.httpd.shutdown()
        self.httpd.server_close()
