"""Loopback forwarders in the container to the host's token gate (the local AWS endpoint, the Invoke API).

A function in a container gets AWS_ENDPOINT_URL=http://127.0.0.1:P, the same URL as on the host. Inside
the container's own network namespace the emulator listens on 127.0.0.1:P and sends every connection to
the host's gate (app/local/gate.py), which listens on the docker bridge's gateway address: first one
preamble line naming the container's secret and the target, then the connection's bytes unchanged both
ways (HTTP keep-alive, streaming, bodies of any size; the Host header boto3 signed stays as it was).
The link, secret included, comes in GATE_ENV, which the emulator takes out of its environment before any
runtime starts and whose /proc entry it hides, as it does for its own token.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
from dataclasses import dataclass, field
from typing import Any

GATE_ENV = "LAMBDA_STUDIO_GATE"
PREAMBLE = b"LAMBDA-STUDIO-GATE/1"  # the first line: PREAMBLE SP token SP target CRLF
MAX_PREAMBLE = 256
TARGETS = ("aws", "lambda")  # the local AWS endpoint (moto) and the local Invoke API
CONNECT_TIMEOUT_S = 10.0
CHUNK = 64 * 1024


@dataclass(frozen=True)
class GateLink:
    """Where the host's gate is (as the container dials it) and which loopback ports lead to which target."""

    host: str
    port: int
    token: str = field(repr=False)
    forwards: tuple[tuple[int, str], ...] = ()  # (port on 127.0.0.1 in the container, target)

    def to_env(self) -> str:
        return json.dumps(
            {"host": self.host, "port": self.port, "token": self.token, "forwards": self.forwards}
        )

    @classmethod
    def from_env(cls, text: str) -> GateLink:
        """Raises ValueError for anything but a link as to_env writes it."""
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("the gate link is not a JSON object")
        host, port, token = data.get("host"), data.get("port"), data.get("token")
        if not isinstance(host, str) or not host or not isinstance(token, str) or not token:
            raise ValueError("the gate link needs a host and a token")
        if not isinstance(port, int) or not 0 < port < 65536:
            raise ValueError("the gate link's port is not a TCP port")
        forwards: list[tuple[int, str]] = []
        for item in data.get("forwards") or []:
            if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], int)):
                raise ValueError(f"bad forward {item!r}")
            if item[1] not in TARGETS or not 0 < item[0] < 65536:
                raise ValueError(f"bad forward {item!r}")
            forwards.append((item[0], item[1]))
        return cls(host, port, token, tuple(forwards))

    def preamble(self, target: str) -> bytes:
        return b"%s %s %s\r\n" % (PREAMBLE, self.token.encode(), target.encode())


def splice(a: socket.socket, b: socket.socket, first: bytes = b"") -> None:
    """Copies bytes both ways until both sides are done (half-close passed on); closes both. Blocks."""

    def pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                data = src.recv(CHUNK)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    if first:
        try:
            b.sendall(first)
        except OSError:
            a.close()
            b.close()
            return
    other = threading.Thread(target=pump, args=(b, a), daemon=True)
    other.start()
    pump(a, b)
    other.join()
    a.close()
    b.close()


class Forwarder:
    """Listens on 127.0.0.1:port (in the container) and sends each connection to the gate's target."""

    def __init__(self, link: GateLink, port: int, target: str) -> None:
        self.link = link
        self.target = target
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen(64)
        self._thread = threading.Thread(target=self._serve, name=f"gate-{target}", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return  # closed
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn: socket.socket) -> None:
        try:
            up = socket.create_connection((self.link.host, self.link.port), timeout=CONNECT_TIMEOUT_S)
            up.settimeout(None)
        except OSError as exc:
            print(
                f"lambda-studio-emulator: cannot reach the local {self.target} endpoint's gate at "
                f"{self.link.host}:{self.link.port}: {exc}",
                file=sys.stderr,
                flush=True,
            )
            conn.close()
            return
        for s in (conn, up):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        splice(conn, up, self.link.preamble(self.target))

    def close(self) -> None:
        self.sock.close()


def start_forwarders(text: str) -> list[Any]:
    """Starts a Forwarder for each of the link's ports; problems go to stderr (the container's log)."""
    try:
        link = GateLink.from_env(text)
    except ValueError as exc:
        print(f"lambda-studio-emulator: ignoring {GATE_ENV}: {exc}", file=sys.stderr, flush=True)
        return []
    out: list[Any] = []
    for port, target in link.forwards:
        try:
            out.append(Forwarder(link, port, target))
        except OSError as exc:
            print(
                f"lambda-studio-emulator: cannot forward 127.0.0.1:{port} to the local {target} endpoint: "
                f"{exc} (choose another port for it)",
                file=sys.stderr,
                flush=True,
            )
    return out
