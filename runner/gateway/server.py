"""The HTTP listener of the local gateway: a threading HTTP/1.1 server handing each request to a Gateway."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from runner.gateway.events import HttpRequest
from runner.gateway.gateway import Gateway
from runner.gateway.model import MAX_PAYLOAD_BYTES
from runner.gateway.responses import gateway_error

_MAX_DISCARD = 64 * 1024 * 1024  # beyond this an oversized body is not read: the connection just closes
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length"}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # the default backlog of 5 refuses bursts of concurrent clients
    gateway: Gateway


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "lambda-studio-gateway"
    sys_version = ""
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass  # each exchange is logged by the gateway instead

    def _serve(self) -> None:
        gateway = self.server.gateway
        raw_path, _, raw_query = self.path.partition("?")
        if raw_path.startswith(("http://", "https://")):  # absolute-form request target
            raw_path = "/" + raw_path.split("/", 3)[-1] if raw_path.count("/") >= 3 else "/"
        length_text = self.headers.get("Content-Length")
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            try:
                chunked = self._read_chunked()
            except ValueError as exc:  # the connection cannot be trusted any more
                self.close_connection = True
                status, message = (
                    (413, "Request Entity Too Large") if "10 MB" in str(exc) else (400, "Bad Request")
                )
                gateway.log(f"[{self.command} {raw_path}] {status}: {exc}")
                response = gateway_error(gateway.default_kind, status, message)
                self._send(response.status, response.headers, response.body)
                return
            self._dispatch(raw_path, raw_query, chunked)
            return
        try:
            length = int(length_text) if length_text else 0
        except ValueError:
            length = -1
        if length < 0:
            self.close_connection = True
            self._send(400, [("Content-Type", "application/json")], b'{"message":"Bad Request"}')
            return
        if length > MAX_PAYLOAD_BYTES:
            self.close_connection = True
            self._discard(length)  # read (and drop) it, so the client sees the answer rather than a reset
            response = gateway_error(gateway.default_kind, 413, "Request Entity Too Large")
            gateway.log(f"[{self.command} {raw_path}] 413: request body of {length} bytes is over 10 MB")
            self._send(response.status, response.headers, response.body)
            return
        self._dispatch(raw_path, raw_query, self.rfile.read(length) if length else b"")

    def _read_chunked(self) -> bytes:
        """A chunked request body; raises ValueError when it is malformed or over 10 MB."""
        parts: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(1024)
            try:
                size = int(line.split(b";", 1)[0].strip() or b"x", 16)
            except ValueError:
                raise ValueError("malformed chunked request body") from None
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(parts)
            total += size
            if total > MAX_PAYLOAD_BYTES or size < 0:
                raise ValueError("chunked request body over 10 MB")
            parts.append(self.rfile.read(size))
            self.rfile.readline(8)  # the CRLF after each chunk

    def _dispatch(self, raw_path: str, raw_query: str, body: bytes) -> None:
        gateway = self.server.gateway
        request = HttpRequest(
            method=self.command,
            raw_path=raw_path or "/",
            raw_query=raw_query,
            headers=[(k, v) for k, v in self.headers.items()],
            body=body,
            source_ip=self.client_address[0],
            protocol=self.request_version,
        )
        response, _ = gateway.handle(request)
        self._send(response.status, response.headers, response.body)

    def _discard(self, length: int) -> None:
        left = min(length, _MAX_DISCARD)
        while left > 0:
            chunk = self.rfile.read(min(left, 1 << 20))
            if not chunk:
                return
            left -= len(chunk)

    def _send(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers:
            if name.lower() not in _HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _serve


class GatewayServer:
    """Serves one Gateway on host:port (0 = a free port) in a background thread."""

    def __init__(self, gateway: Gateway, host: str = "127.0.0.1", port: int = 0) -> None:
        self.gateway = gateway
        self.host = host
        self._server = _Server((host, port), _Handler)
        self._server.gateway = gateway
        self.port = int(self._server.server_address[1])
        gateway.port = self.port
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def replace(self, gateway: Gateway) -> None:
        """Serves another gateway from the next request on, on the same open socket (requests already
        being answered finish on the old one)."""
        gateway.port = self.port
        self.gateway = gateway
        self._server.gateway = gateway

    def start(self) -> GatewayServer:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.2}, name="gateway", daemon=True
        )
        self._thread.start()
        return self

    def shutdown(self) -> None:
        """Stops listening and waits for the serving thread; blocks."""
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
