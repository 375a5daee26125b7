"""Image mode's gate (stdlib only, runs in the container): the image's RIE on 127.0.0.1, a token-checked door.

The official images start RIE on 0.0.0.0:8080, reachable by anything on the docker bridge, with no way
to ask for another address but its flag. This script does what the images' /lambda-entrypoint.sh does
(exports _HANDLER, runs /usr/local/bin/aws-lambda-rie /var/runtime/bootstrap) with RIE bound to
127.0.0.1 inside the container's network namespace, and forwards to it only requests that carry the
container's token. It exits with RIE's exit status, so the container lives and dies with RIE.
"""

from __future__ import annotations

import hmac
import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN_ENV = "LAMBDA_STUDIO_TOKEN"  # the same names as runner/emulator/common.py's (a test checks they agree)
TOKEN_HEADER = "X-LambdaStudio-Token"
GATE_ENV = "LAMBDA_STUDIO_GATE"  # runner/emulator/gate_link.py's name (a test checks they agree)
RIE = "/usr/local/bin/aws-lambda-rie"
BOOTSTRAP = "/var/runtime/bootstrap"
INNER = ("127.0.0.1", 8081)
OUTER_PORT = 8080
_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host", TOKEN_HEADER.lower()}


class _Gate(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    token = ""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass  # the container's log is the function's log

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        given = self.headers.get(TOKEN_HEADER) or ""
        if not hmac.compare_digest(given.encode(), self.token.encode()):
            self._answer(
                403, [], b'{"message": "This endpoint needs its ' + TOKEN_HEADER.encode() + b' header."}'
            )
            return
        conn = http.client.HTTPConnection(*INNER, timeout=None)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
            conn.request(self.command, self.path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            self._answer(resp.status, [(k, v) for k, v in resp.getheaders() if k.lower() not in _HOP], data)
        except (OSError, http.client.HTTPException) as exc:
            self._answer(502, [], f'{{"message": "RIE did not answer: {type(exc).__name__}"}}'.encode())
        finally:
            conn.close()

    def _answer(self, status: int, headers: list[tuple[str, str]], data: bytes) -> None:
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = _forward


def _hide_own_proc_entry() -> None:
    """Non-dumpable: this process's /proc entry (its environ, which held the token) becomes root's and
    unreadable to the function, which runs as the same non-root user without capabilities."""
    try:
        import ctypes

        ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE, 0
    except (OSError, AttributeError):
        pass


def _host_forwarders(link: str) -> list[object]:
    """The local cloud's loopback ports, forwarded to the host's gate (gate_link.py, mounted next to this
    file from runner/emulator/, as the emulator does it); problems go to the container's log."""
    try:
        import gate_link  # this file's folder in the container
    except ImportError as exc:
        print(f"rie_gate: cannot reach the local endpoint: {exc}", file=sys.stderr)
        return []
    return list(gate_link.start_forwarders(link))


def _wait_listening(proc: subprocess.Popen[bytes], deadline_s: float) -> bool:
    end = time.monotonic() + deadline_s
    while time.monotonic() < end and proc.poll() is None:
        try:
            socket.create_connection(INNER, timeout=0.5).close()
            return True
        except OSError:
            time.sleep(0.01)
    return False


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("entrypoint requires the handler name to be the first argument", file=sys.stderr)
        return 142
    token = os.environ.pop(TOKEN_ENV, "")
    gate = os.environ.pop(GATE_ENV, "")  # the local cloud's link to the host: a secret too
    _hide_own_proc_entry()
    if gate:
        _host_forwarders(gate)  # they serve from their own threads
    if not token:
        print(f"rie_gate: no {TOKEN_ENV}; refusing to serve without one", file=sys.stderr)
        return 2
    env = dict(os.environ, _HANDLER=argv[0])
    address = f"{INNER[0]}:{INNER[1]}"
    proc = subprocess.Popen([RIE, "--runtime-interface-emulator-address", address, BOOTSTRAP], env=env)
    signal.signal(signal.SIGTERM, lambda signum, frame: proc.terminate())
    if _wait_listening(proc, 60.0):  # serve only once RIE does: the host's readiness check means RIE is up
        _Gate.token = token
        server = ThreadingHTTPServer(("0.0.0.0", OUTER_PORT), _Gate)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
    return proc.wait()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
