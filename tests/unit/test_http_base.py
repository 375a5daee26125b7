"""The emulator's lean request parser: the same answers as http.server's for what clients send."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator

import pytest

from runner.emulator.http_base import Handler, QuietServer, json_bytes


class _Echo(Handler):
    def do_POST(self) -> None:  # noqa: N802
        body, size = self.read_body(1 << 20)
        seen = {
            "path": self.path,
            "version": self.request_version,
            "type": self.headers.get("content-type"),
            "X-Two": self.headers["x-two"],
            "missing": self.headers.get("X-Missing", "default"),
            "has_type": "Content-Type" in self.headers,
            "folded": self.headers.get("X-Folded"),
            "body": (body or b"").decode(),
            "size": size,
        }
        self.reply(200, json_bytes(seen))

    do_GET = do_POST  # noqa: N815


@pytest.fixture
def port() -> Iterator[int]:
    server = QuietServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield int(server.server_address[1])
    server.shutdown()
    server.server_close()


def _exchange(
    port: int, raw: bytes, answers: int = 1, until_close: bool = False
) -> list[tuple[int, dict[str, str], bytes]]:
    """Sends raw bytes on one connection and reads `answers` responses (status, headers, body), then
    (until_close) what follows until the server closes the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(raw)
        f = sock.makefile("rb")
        out = []
        for _ in range(answers):
            status = int(f.readline().split()[1])
            headers = {}
            while (line := f.readline()) not in (b"\r\n", b""):
                k, _, v = line.decode().partition(":")
                headers[k.strip().lower()] = v.strip()
            out.append((status, headers, f.read(int(headers.get("content-length", 0)))))
        if until_close:
            out.append((0, {}, f.read()))
        return out


def test_headers_are_case_insensitive_first_wins_and_connections_stay_open(port: int) -> None:
    req = (
        b"POST /a?x=1 HTTP/1.1\r\nHost: h\r\ncontent-TYPE: application/json\r\nX-Two: first\r\n"
        b"X-Two: second\r\nX-Folded: one\r\n two\r\nContent-Length: 2\r\n\r\n{}"
    )
    (status, _, body), (status2, _, body2) = _exchange(port, req + req.replace(b"/a", b"/b"), 2)
    assert status == status2 == 200
    seen = json.loads(body)
    assert seen == {
        "path": "/a?x=1",
        "version": "HTTP/1.1",
        "type": "application/json",
        "X-Two": "first",
        "missing": "default",
        "has_type": True,
        "folded": "one two",
        "body": "{}",
        "size": 2,
    }
    assert json.loads(body2)["path"] == "/b?x=1"  # the same keep-alive connection served both


def test_chunked_body(port: int) -> None:
    req = b"POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
    ((status, _, body),) = _exchange(port, req)
    assert status == 200 and json.loads(body)["body"] == "abcde"


@pytest.mark.parametrize(
    "request_head",
    [b"GET /x HTTP/1.1\r\nConnection: close\r\n\r\n", b"GET /x HTTP/1.0\r\n\r\n"],
)
def test_close_and_http_1_0_close_the_connection(port: int, request_head: bytes) -> None:
    (status, _, _), (_, _, rest) = _exchange(
        port, request_head + b"GET /again HTTP/1.1\r\n\r\n", until_close=True
    )
    assert status == 200 and rest == b""  # the second request was never served


def test_bad_header_line_and_too_many_headers_are_refused(port: int) -> None:
    ((status, _, _),) = _exchange(port, b"GET /x HTTP/1.1\r\nno colon here\r\n\r\n")
    assert status == 400
    many = b"".join(b"X-%d: v\r\n" % i for i in range(101))
    ((status, _, _),) = _exchange(port, b"GET /x HTTP/1.1\r\n" + many + b"\r\n")
    assert status == 431


def test_other_request_lines_go_the_standard_way(port: int) -> None:
    # http.server's own answers (HTTP/0.9-style: a bare error page, then it closes)
    for line, code in ((b"GET /x HTTP/2.0", b"505"), (b"NONSENSE", b"400")):
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(line + b"\r\n\r\n")
            assert b"Error code: " + code in sock.makefile("rb").read()
