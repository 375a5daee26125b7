"""The DAP client against a scripted fake adapter: framing, handshake retry, timeouts, reverse requests."""

from __future__ import annotations

import json
import socket
import threading
from pathlib import Path
from typing import Any

import pytest

from runner.debug.dap import Breakpoint, DapClient, DapError, DapTimeout, PathMapper
from runner.ports import free_port


def _send(conn: socket.socket, msg: dict[str, Any]) -> None:
    data = json.dumps(msg).encode()
    conn.sendall(b"Content-Length: %d\r\n\r\n" % len(data) + data)


def _read(stream: Any) -> dict[str, Any] | None:
    length = 0
    while True:
        line = stream.readline()
        if not line:
            return None
        if line in (b"\r\n", b"\n"):
            break
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    return json.loads(stream.read(length))


class FakeAdapter:
    """Drops its first connection (as a published container port does before debugpy listens),
    then answers like debugpy: 'attach' only after configurationDone; 'hang' never."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.seen: list[dict[str, Any]] = []
        self.reverse_answer: dict[str, Any] | None = None
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        first, _ = self.server.accept()
        first.close()
        conn, _ = self.server.accept()
        stream = conn.makefile("rb")
        seq = 1000
        attach_seq = None
        while (msg := _read(stream)) is not None:
            if msg["type"] == "response":
                self.reverse_answer = msg
                continue
            self.seen.append(msg)
            cmd, seq = msg["command"], seq + 1
            body: dict[str, Any] = {}
            if cmd == "attach":
                attach_seq = msg["seq"]
                _send(conn, {"seq": seq, "type": "event", "event": "initialized"})
                continue
            if cmd == "hang":
                continue
            if cmd == "setBreakpoints":
                path = msg["arguments"]["source"]["path"]
                body = {
                    "breakpoints": [
                        {"verified": True, "line": b["line"], "source": {"path": path}}
                        for b in msg["arguments"]["breakpoints"]
                    ]
                }
            if cmd == "evaluate" and msg["arguments"]["expression"] == "boom":
                _send(conn, {"seq": seq, "type": "response", "request_seq": msg["seq"], "command": cmd,
                             "success": False, "message": "NameError: boom"})  # fmt: skip
                continue
            _send(conn, {"seq": seq, "type": "response", "request_seq": msg["seq"], "command": cmd,
                         "success": True, "body": body})  # fmt: skip
            if cmd == "configurationDone" and attach_seq is not None:
                _send(conn, {"seq": seq + 1, "type": "response", "request_seq": attach_seq, "command": "attach",
                             "success": True})  # fmt: skip
                _send(conn, {"seq": seq + 2, "type": "request", "command": "runInTerminal", "arguments": {}})
                _send(conn, {"seq": seq + 3, "type": "event", "event": "stopped",
                             "body": {"reason": "breakpoint", "threadId": 1}})  # fmt: skip
            if cmd == "disconnect":
                conn.close()
                return


def test_handshake_attach_breakpoints_mapping_errors_and_timeouts(tmp_path: Path) -> None:
    adapter = FakeAdapter()
    events: list[tuple[str, dict[str, Any]]] = []
    stopped = threading.Event()

    def on_event(name: str, body: dict[str, Any]) -> None:
        events.append((name, body))
        if name == "stopped":
            stopped.set()

    client = DapClient(on_event, PathMapper([(tmp_path, "/var/task")]))
    client.connect("127.0.0.1", adapter.port, timeout=10)  # the first connection is dropped: retried
    app = str(tmp_path / "app.py")
    client.attach({app: [Breakpoint(3, condition="x > 1")]}, timeout=5)
    assert stopped.wait(5) and events[-1][1]["reason"] == "breakpoint"
    sent = next(m for m in adapter.seen if m["command"] == "setBreakpoints")["arguments"]
    assert sent["source"]["path"] == "/var/task/app.py"
    assert sent["breakpoints"] == [{"line": 3, "condition": "x > 1"}]
    assert client.verified[app][0]["source"]["path"] == str(tmp_path.resolve() / "app.py")  # mapped back
    # live breakpoints go out at once
    assert client.set_breakpoints(app, [Breakpoint(4, log_message="x={x}")])[0]["line"] == 4
    with pytest.raises(DapError, match="NameError"):
        client.evaluate("boom")
    with pytest.raises(DapTimeout):
        client.request("hang", timeout=0.3)
    assert adapter.reverse_answer is not None and adapter.reverse_answer["success"] is False
    assert [m["command"] for m in adapter.seen][:2] == ["initialize", "attach"]
    client.disconnect()
    assert client.closed.is_set()
    with pytest.raises(DapError):
        client.threads()


def test_connect_gives_up_when_the_debuggee_is_gone() -> None:
    port = free_port()  # nobody listens here
    client = DapClient()
    with pytest.raises(DapError, match="exited"):
        client.connect("127.0.0.1", port, timeout=10, alive=lambda: False)
