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


class Headers(dict[str, str]):
    """Request headers by lower-case name (the first of repeated ones), read like email.message's."""

    def get(self, key: str, default: Any = None) -> Any:
        return super().get(key.lower(), default)

    def __getitem__(self, key: str) -> Any:
        return super().get(key.lower())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and super().__contains__(key.lower())


MAX_HEADERS = 100  # as http.client's limit


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    raw_requestline: bytes  # set by handle_one_request

    def parse_request(self) -> bool:
        """http.server's parse, without its email-parser headers (a third of serve's CPU per invoke,
        three requests per invoke): plain ``METHOD PATH HTTP/1.x`` requests only; anything else goes
        the standard way, errors included."""
        line = str(self.raw_requestline, "iso-8859-1").rstrip("\r\n")
        words = line.split()
        if len(words) != 3 or words[2] not in ("HTTP/1.1", "HTTP/1.0") or not words[1].startswith("/"):
            return bool(super().parse_request())
        self.command, self.path, self.request_version = words
        self.requestline = line
        headers, last = Headers(), ""
        while True:
            raw = self.rfile.readline(65537)
            if len(raw) > 65536:
                self.send_error(431, "Line too long")
                return False
            if raw in (b"\r\n", b"\n", b""):
                break
            if len(headers) >= MAX_HEADERS:
                self.send_error(431, "Too many headers")
                return False
            text = raw.decode("iso-8859-1").rstrip("\r\n")
            if text[:1] in (" ", "\t") and last:  # an obsolete folded continuation
                dict.__setitem__(headers, last, headers[last] + " " + text.strip())
                continue
            name, sep, value = text.partition(":")
            if not sep:
                self.send_error(400, "Bad header line")
                return False
            last = name.strip().lower()
            if last not in headers:
                dict.__setitem__(headers, last, value.strip())
        self.headers = headers  # type: ignore[assignment]
        connection = (headers.get("Connection") or "").lower()
        self.close_connection = self.request_version == "HTTP/1.0" or connection == "close"
        if connection == "keep-alive":
            self.close_connection = False
        expect = (headers.get("Expect") or "").lower()
        if expect == "100-continue" and self.request_version == "HTTP/1.1":
            return bool(self.handle_expect_100())
        return True

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
