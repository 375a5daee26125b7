"""The local HTTP API of a project: its template's routes served on the shared warm LocalFunctions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.local.functions import LocalFunctions
from app.project.model import Diagnostic, Project
from app.project.routes import RouteTable, build_routes
from runner.errors import UserFacingError
from runner.gateway.gateway import Authorize, Gateway
from runner.gateway.model import Exchange, LogSink, Route
from runner.gateway.server import GatewayServer
from runner.result import InvokeResult


@dataclass(frozen=True)
class Listener:
    """One address the local API answers on, and what it serves there."""

    url: str
    routes: tuple[Route, ...]
    label: str  # "API" or the function URL's name


class LocalApi:
    """Serves every API route of a project (one listener) and each function URL (one listener each)."""

    def __init__(
        self,
        project: Project,
        functions: LocalFunctions,
        *,
        stage: str | None = None,
        jwks: str | None = None,
        log: LogSink | None = None,
        on_exchange: Callable[[Exchange], None] | None = None,
        authorize: Authorize | None = None,
    ) -> None:
        self.project = project
        self.functions = functions
        self.jwks = jwks
        self.table: RouteTable = build_routes(project, stage=stage, jwks=jwks)
        self.log = log or (lambda line: None)
        self.on_exchange = on_exchange
        self.authorize = authorize
        self.listeners: list[Listener] = []
        self._noted: set[tuple[str, str]] = set()
        self._servers: list[GatewayServer] = []

    @property
    def routes(self) -> list[Route]:
        """Every route served: the API routes, then the function URLs."""
        return self.table.all_routes

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return list(self.table.diagnostics)

    def _invoke(self, function_id: str, event: bytes, sink: LogSink | None, cancel: Any) -> InvokeResult:
        result = self.functions.invoke(function_id, event, sink, cancel)
        if result.note and (function_id, result.note) not in self._noted:
            self._noted.add((function_id, result.note))  # e.g. the auto backend fell back to a process
            self.log(f"{function_id}: {result.note}")
        return result

    def _gateway(self, routes: list[Route]) -> Gateway:
        authorize = self.authorize
        if authorize is None:
            from app.local.api_auth import local_authorizers

            authorize = local_authorizers(self._invoke, self.project.root, self.jwks, self.log)
        return Gateway(routes, self._invoke, log=self.log, on_exchange=self.on_exchange, authorize=authorize)

    def start(self, host: str = "127.0.0.1", port: int = 3000) -> LocalApi:
        """Starts listening: the API routes on `port` (0 = any free port), each function URL on the next
        free port. Raises UserFacingError when the address is taken; nothing is left listening then."""
        try:
            if self.table.routes or not self.table.function_urls:
                server = GatewayServer(self._gateway(self.table.routes), host, port).start()
                self._servers.append(server)
                self.listeners.append(Listener(server.url, tuple(self.table.routes), "API"))
            next_port = port + 1 if port else 0
            for route in self.table.function_urls:
                server = self._free_server(self._gateway([route]), host, next_port)
                self._servers.append(server.start())
                self.listeners.append(Listener(server.url, (route,), f"{route.function_id} function URL"))
                next_port = server.port + 1 if port else 0
        except OSError as exc:
            self.stop()
            raise UserFacingError(
                f"cannot listen on {host}:{port}: {exc.strerror or exc}",
                "pick another port (start-api --port, or the dock's Port field; 0 = any free port)",
            ) from exc
        return self

    @staticmethod
    def _free_server(gateway: Gateway, host: str, port: int) -> GatewayServer:
        for candidate in range(port, port + 50) if port else [0]:
            try:
                return GatewayServer(gateway, host, candidate)
            except OSError:
                continue
        return GatewayServer(gateway, host, 0)

    @property
    def port(self) -> int:
        """The port of the API routes (0 before start)."""
        return self._servers[0].port if self._servers else 0

    def url_for(self, route: Route) -> str:
        """The base URL that serves this route."""
        for listener in self.listeners:
            if route in listener.routes:
                return listener.url
        raise KeyError(route.route_key)

    def stop(self) -> None:
        """Stops every listener (the warm functions stay with their owner); blocks."""
        servers, self._servers = self._servers, []
        for server in servers:
            server.shutdown()
        self.listeners = []
