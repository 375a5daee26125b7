"""A warm container: its docker handle, port and token, and the log lines it printed (followed live)."""

from __future__ import annotations

import contextlib
import http.client
import select
import threading
from dataclasses import dataclass, field
from typing import Any

from runner.backends.contract import LogSink
from runner.emulator import TOKEN_HEADER

LINES_BYTES = 4 * 1024 * 1024  # recent output kept per container (lines are <= 256 KB: the emulator cuts)
MAX_LINE = 256 * 1024  # the image's own RIE does not cut lines: we do, as Lambda does


@dataclass
class WarmContainer:
    """A running container serving one function configuration on 127.0.0.1:port."""

    container: Any
    function_id: str
    config_hash: str
    mode: str
    port: int
    created_at: float
    last_used: float
    served: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    sink: LogSink | None = None
    lines: list[str] = field(default_factory=list)
    lines_bytes: int = 0
    line_event: threading.Condition = field(default_factory=threading.Condition)
    code_stamp: tuple[int, int, int] | None = None
    next_scan: float = 0.0
    debug: bool = False  # a one-off debug container (runtime under debugpy): never pooled or reused
    busy: bool = False  # an invoke holds it (set and cleared under the pool's lock)
    token: str | None = None  # the Invoke API (emulator, or image mode's gate) wants it on every request
    report_due: str | None = None  # the last invoke's REPORT line, until docker's log stream has passed it
    conn: http.client.HTTPConnection | None = None  # kept open between invokes (see connection)

    def auth_headers(self) -> dict[str, str]:
        return {TOKEN_HEADER: self.token} if self.token else {}

    def connection(self, timeout: float | None) -> http.client.HTTPConnection:
        """The Invoke API connection of the last invoke when it is still open, else a new one: a new
        TCP connection through docker's published port was a millisecond of every warm invoke. One that
        the other side closed meanwhile reads as ready (end of file) and is replaced, never reused."""
        conn, self.conn = self.conn, None
        if conn is not None and conn.sock is not None:
            try:
                dropped = bool(select.select([conn.sock], [], [], 0)[0])
            except (OSError, ValueError):
                dropped = True
            if not dropped:
                conn.timeout = timeout
                conn.sock.settimeout(timeout)
                return conn
        if conn is not None:
            conn.close()
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def keep(self, conn: http.client.HTTPConnection, response: http.client.HTTPResponse) -> None:
        """Keeps conn for the next invoke after a complete answer the server will not close (a refusal,
        or an HTTP/1.0 answer as image mode's gate gives, closes it)."""
        if response.status in (200, 202, 204) and not response.will_close and response.isclosed():
            self.conn = conn
        else:
            conn.close()

    def close_connection(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()

    @property
    def id(self) -> str:
        return str(self.container.id)

    def on_line(self, line: str) -> None:
        with self.line_event:
            self.lines.append(line)
            self.lines_bytes += len(line)
            if len(self.lines) > 5000 or self.lines_bytes > LINES_BYTES:
                cut = max(1000, len(self.lines) // 2)  # drop in batches: amortised linear
                self.lines_bytes -= sum(len(x) for x in self.lines[:cut])
                del self.lines[:cut]
            self.line_event.notify_all()
        sink = self.sink
        if sink is not None and not line.startswith("lambda-studio-emulator listening on"):
            if line.startswith("REPORT RequestId:") and self.mode == "emulator":
                self.sink = None  # the invoke's log ends here; later lines belong to no invoke
            with contextlib.suppress(Exception):
                sink(line)


def follow_logs(w: WarmContainer) -> None:
    """Feeds the container's output, line by line, to the warm container (and its current sink)."""
    partial: list[bytes] = []  # linear in the line's length; past MAX_LINE bytes the rest is dropped
    size = 0
    try:
        for chunk in w.container.logs(stream=True, follow=True, stdout=True, stderr=True):
            *lines, rest = chunk.split(b"\n")
            for piece in lines:
                if size < MAX_LINE:
                    partial.append(piece[: MAX_LINE - size])
                line, partial, size = b"".join(partial), [], 0
                w.on_line(line[:MAX_LINE].decode("utf-8", "replace").rstrip("\r"))
            if size < MAX_LINE and rest:
                partial.append(rest[: MAX_LINE - size])
            size += len(rest)
    except Exception:  # noqa: BLE001 - the container went away; nothing more to read
        pass
    if partial:
        w.on_line(b"".join(partial).decode("utf-8", "replace"))
