"""The embedded local AWS endpoint: moto's threaded server on 127.0.0.1, in this process."""

from __future__ import annotations

import logging
import os
import socket
import threading
from typing import Any

import boto3
from botocore.config import Config

from runner.result import SetupError

DUMMY_KEYS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


class LocalEndpoint:
    """One moto ThreadedMotoServer on 127.0.0.1; its state lives only while it runs (reset on stop)."""

    def __init__(self, port: int = 0, region: str = "us-east-1") -> None:
        self.requested_port = port
        self.region = region
        self.port = 0
        self._server: Any = None
        self._lock = threading.Lock()
        self._clients: dict[str, Any] = {}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> str:
        """Starts the server (listening when this returns); returns its URL. Blocks; raises SetupError."""
        # moto reads this when IAM is first used: AWS managed policies exist as in a real account.
        os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
        try:
            from moto.server import ThreadedMotoServer
        except ImportError as exc:  # pragma: no cover - depends on the installation
            raise SetupError(f"the local AWS endpoint needs moto[server]: {exc}") from None
        with self._lock:
            if self._server is not None:
                return self.url
            _check_port(self.requested_port)
            # One line per request on stderr would drown the triggers' own log lines.
            logging.getLogger("werkzeug").setLevel(logging.WARNING)
            server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.requested_port, verbose=False)
            server.start()
            self._server = server
            self.port = int(server.get_host_and_port()[1])  # the real port when 0 was asked for
        return self.url

    def client(self, service: str) -> Any:
        """A boto3 client of this endpoint with dummy credentials (never a real account); cached."""
        with self._lock:  # boto3's default session is not safe to share across threads while creating
            if service in self._clients:
                return self._clients[service]
            made = boto3.client(
                service,
                endpoint_url=self.url,
                region_name=self.region,
                aws_access_key_id=DUMMY_KEYS["AWS_ACCESS_KEY_ID"],
                aws_secret_access_key=DUMMY_KEYS["AWS_SECRET_ACCESS_KEY"],
                config=Config(
                    retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=5, read_timeout=30
                ),
            )
            self._clients[service] = made
            return made

    def function_environment(self) -> dict[str, str]:
        """What a function needs so its own SDK calls land here: endpoint URL, region, dummy keys."""
        return {
            "AWS_ENDPOINT_URL": self.url,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            **DUMMY_KEYS,
            "AWS_SESSION_TOKEN": "lambda-studio-local",
        }

    def stop(self) -> None:
        """Forgets every resource and stops the server; blocks until its port is closed."""
        with self._lock:
            server, self._server = self._server, None
        if server is None:
            return
        server.stop()
        self._clients.clear()
        # moto keeps its state in module globals of this process: forget the backends that were used
        # (the server's /moto-api/reset does more and takes seconds).
        from moto.core.base_backend import BackendDict

        BackendDict.reset()


def _check_port(port: int) -> None:
    """Raises SetupError when 127.0.0.1:port is taken (moto's server thread would hang on it)."""
    if port == 0:
        return
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            raise SetupError(
                f"the local AWS endpoint cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}; "
                "stop what uses it or choose another --aws-port (0 picks a free one)"
            ) from None
