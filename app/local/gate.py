"""The host side of the container link: a token gate in front of the local AWS endpoint and Invoke API.

It listens where containers reach the host (the docker bridge's gateway address; 127.0.0.1 on Docker
Desktop, whose containers reach it as host.docker.internal). A connection must begin with one preamble
line carrying this gate's secret and naming a target (runner/emulator/gate_link.py writes it); the rest
of the connection is then copied unchanged to that target on 127.0.0.1. Anything else (no preamble, a
wrong secret, an unknown target, a line too long or too slow) gets an HTTP 403 and is closed: nothing of
it reaches moto or the Invoke API, so other containers and hosts on the bridge get nowhere.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import secrets
import socket
import threading
from collections.abc import Callable, Mapping
from typing import Any

from runner.emulator.gate_link import MAX_PREAMBLE, PREAMBLE, GateLink, splice

PREAMBLE_TIMEOUT_S = 5.0
MAX_CONNECTIONS = 256
MAX_LOGGED_REFUSALS = 20
DESKTOP_HOST = "host.docker.internal"


def bridge_address(client: Any) -> tuple[str, str]:
    """(address to listen on, host the containers dial) for the docker engine behind ``client``; blocks.

    Raises OSError when the engine's bridge network has no gateway address."""
    info = client.info()
    if "docker desktop" in str(info.get("OperatingSystem", "")).lower():
        return "127.0.0.1", DESKTOP_HOST  # the VM forwards host.docker.internal to the host's loopback
    for config in client.networks.get("bridge").attrs.get("IPAM", {}).get("Config") or []:
        gateway = config.get("Gateway")
        if gateway and ":" not in gateway:
            return gateway, gateway
    raise OSError("the docker bridge network has no IPv4 gateway address")


def answer(status: str, message: str) -> bytes:
    """A whole HTTP response with a JSON message, after which the gate closes the connection."""
    body = json.dumps({"message": message}).encode()
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + body


class HostGate:
    """One gate with one secret for one local application; ``targets`` maps a target name to its
    port on 127.0.0.1 ("aws": moto, "lambda": the Invoke API)."""

    def __init__(
        self,
        targets: Mapping[str, int],
        bind: str,
        dial: str | None = None,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.targets = dict(targets)
        self.bind = bind
        self.dial = dial or bind
        self.log = log
        self.token = secrets.token_urlsafe(24)
        self.port = 0
        self.refused = 0
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()

    def start(self) -> int:
        """Listens (on return) and serves; returns the port. Raises OSError when it cannot listen."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.bind((self.bind, 0))
            sock.listen(64)
        except OSError:
            sock.close()
            raise
        self._sock = sock
        self.port = sock.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, args=(sock,), name="host-gate", daemon=True)
        self._thread.start()
        return self.port

    def link(self, forwards: Mapping[str, int]) -> GateLink:
        """What a container needs: this gate's address as it dials it, the secret, and for each target
        the loopback port that leads to it in the container (``forwards``: target -> port)."""
        pairs = tuple((port, target) for target, port in forwards.items() if target in self.targets)
        return GateLink(self.dial, self.port, self.token, pairs)

    @property
    def listening(self) -> bool:
        return self._sock is not None

    def _serve(self, sock: socket.socket) -> None:
        while True:
            try:
                conn, _ = sock.accept()
            except OSError:
                return  # stopped
            with self._lock:
                if self._sock is None or len(self._open) >= MAX_CONNECTIONS:
                    conn.close()
                    continue
                self._open.add(conn)
            threading.Thread(target=self._one, args=(conn,), name="host-gate-conn", daemon=True).start()

    def _one(self, conn: socket.socket) -> None:
        upstream: socket.socket | None = None
        try:
            target, rest, why = self._check(conn)
            if target is None:
                self._refuse(conn, why)
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.targets[target]), timeout=10)
            except OSError as exc:
                conn.sendall(answer("502 Bad Gateway", f"the local {target} endpoint did not answer: {exc}"))
                return
            with self._lock:
                self._open.add(upstream)
            upstream.settimeout(None)
            conn.settimeout(None)
            splice(conn, upstream, rest)
        except OSError:
            pass
        finally:
            with self._lock:
                self._open.discard(conn)
                if upstream is not None:
                    self._open.discard(upstream)
            conn.close()
            if upstream is not None:
                upstream.close()

    def _check(self, conn: socket.socket) -> tuple[str | None, bytes, str]:
        """(target, bytes read past the preamble, '') for a good preamble, else (None, b'', why)."""
        conn.settimeout(PREAMBLE_TIMEOUT_S)
        data = b""
        try:
            while b"\n" not in data and len(data) <= MAX_PREAMBLE:
                chunk = conn.recv(MAX_PREAMBLE + 1 - len(data))
                if not chunk:
                    return None, b"", "the connection ended before the gate's preamble"
                data += chunk
        except TimeoutError:
            return None, b"", "no preamble in time"
        if b"\n" not in data:
            return None, b"", "no preamble"
        line, rest = data.split(b"\n", 1)
        parts = line.rstrip(b"\r").split(b" ")
        if len(parts) != 3 or parts[0] != PREAMBLE:
            return None, b"", "this gate serves only Lambda Studio's containers"
        if not hmac.compare_digest(parts[1], self.token.encode()):
            return None, b"", "wrong token"
        target = parts[2].decode("ascii", "replace")
        if target not in self.targets:
            return None, b"", "unknown target"
        return target, rest, ""

    def _refuse(self, conn: socket.socket, why: str) -> None:
        with self._lock:
            self.refused += 1
            count = self.refused
        if self.log is not None and count <= MAX_LOGGED_REFUSALS:  # a flood must not drown the log
            more = " (further refusals are not logged)" if count == MAX_LOGGED_REFUSALS else ""
            self.log(f"lambda-studio: the local endpoint's container gate refused a connection: {why}{more}")
        with contextlib.suppress(OSError):
            conn.sendall(answer("403 Forbidden", f"Forbidden: {why}"))
            conn.shutdown(socket.SHUT_WR)
            conn.settimeout(1.0)  # read what the client still sends, so it sees the answer, not a reset
            for _ in range(16):
                if not conn.recv(65536):
                    break

    def stop(self) -> None:
        """Stops listening and closes every connection it carries; blocks until its thread ends."""
        with self._lock:
            sock, self._sock = self._sock, None
            conns = list(self._open)
        if sock is None:
            return
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()
        for c in conns:
            with contextlib.suppress(OSError):
                c.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(5.0)
