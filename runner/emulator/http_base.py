"""The HTTP server and request handler base under the emulator's Runtime API and Invoke API."""

from __future__ import annotations

import contextlib
import json
import socket
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # listen backlog: 50 clients connecting at once must not be reset (was 5)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a runtime killed mid-request resets its connection: expected, not worth a traceback


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's signature
        pass

    def read_body(self, limit: int) -> tuple[bytes | None, int]:
        """The request body, or (None, size) when it is over limit (then read and discarded)."""
        chunks, size = [], 0
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            while True:
                n = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if n == 0:
                    self.rfile.readline()
                    break
                data = self.rfile.read(n)
                self.rfile.readline()
                size += n
                if size <= limit:
                    chunks.append(data)
        else:
            left = int(self.headers.get("Content-Length") or 0)
            while left > 0:
                data = self.rfile.read(min(left, 1 << 20))
                if not data:
                    break
                left -= len(data)
                size += len(data)
                if size <= limit:
                    chunks.append(data)
        return (b"".join(chunks) if size <= limit else None), size

    def reply(self, status: int, body: bytes = b"", headers: Mapping[str, str] | None = None) -> None:
        reason = self.responses.get(status, ("",))[0]
        head = [f"HTTP/1.1 {status} {reason}", f"Content-Length: {len(body)}"]
        hdrs = {"Content-Type": "application/json", **(headers or {})}
        head += [f"{k}: {v}" for k, v in hdrs.items()]
        self.wfile.write(("\r\n".join(head) + "\r\n\r\n").encode("utf-8") + body)  # utf-8: JSON headers
        self.wfile.flush()


def json_bytes(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()
