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
        self.stage = stage
        self.table: RouteTable = build_routes(project, stage=stage, jwks=jwks)
        self.log = log or (lambda line: None)
        self.on_exchange = on_exchange
        self.authorize = authorize
        self.listeners: list[Listener] = []
        self._noted: set[tuple[str, str]] = set()
        self._address = ("127.0.0.1", 0)
        self._api_server: GatewayServer | None = None
        self._url_servers: dict[str, GatewayServer] = {}  # function id → its function URL's listener

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
        self._address = (host, port)
        try:
            if self.table.routes or not self.table.function_urls:
                self._open_api_server(self.table.routes)
            self._add_function_urls(self.table.function_urls)
        except OSError as exc:
            self.stop()
            raise self._cannot_listen(
                exc, "pick another port (start-api --port, or the dock's Port field; 0 = any free port)"
            ) from exc
        self._list_listeners()
        return self

    def _open_api_server(self, routes: list[Route]) -> None:
        """The listener of the API routes, on the address given to start(); raises OSError."""
        host, port = self._address
        self._api_server = GatewayServer(self._gateway(routes), host, port).start()

    def _cannot_listen(self, exc: OSError, hint: str) -> UserFacingError:
        host, port = self._address
        return UserFacingError(f"cannot listen on {host}:{port}: {exc.strerror or exc}", hint)

    def _add_function_urls(self, routes: list[Route]) -> None:
        """A listener for each function URL, on the first free port after those already open."""
        host, port = self._address
        taken = [s.port for s in self._servers]
        next_port = (max(taken) if taken else port) + 1 if port else 0
        for route in routes:
            server = self._free_server(self._gateway([route]), host, next_port).start()
            self._url_servers[route.function_id] = server
            next_port = server.port + 1 if port else 0

    def _list_listeners(self) -> None:
        listeners = []
        if self._api_server is not None:
            listeners.append(Listener(self._api_server.url, tuple(self.table.routes), "API"))
        for route in self.table.function_urls:
            server = self._url_servers[route.function_id]
            listeners.append(Listener(server.url, (route,), f"{route.function_id} function URL"))
        self.listeners = listeners

    def reload(self, project: Project) -> None:
        """The project re-read (its template changed): the open listeners serve its routes from the next
        request on. No listener is closed and re-opened, so no other program can take a port meanwhile:
        the API keeps its port, a function URL that stays keeps its own; a new one gets the next free port,
        a removed one stops. Raises UserFacingError only when a new listener cannot open (the rest are
        served then)."""
        table = build_routes(project, stage=self.stage, jwks=self.jwks)
        self.project, self.table = project, table
        if self._api_server is not None:  # kept even with no API routes left: the port stays the user's
            self._api_server.replace(self._gateway(table.routes))
        wanted = {route.function_id: route for route in table.function_urls}
        for function_id in [f for f in self._url_servers if f not in wanted]:
            self._url_servers.pop(function_id).shutdown()
        for function_id, server in self._url_servers.items():
            server.replace(self._gateway([wanted[function_id]]))
        added = [route for route in table.function_urls if route.function_id not in self._url_servers]
        try:
            if self._api_server is None and table.routes:
                self._open_api_server(table.routes)
            self._add_function_urls(added)
        except OSError as exc:
            raise self._cannot_listen(
                exc, "the other routes are served; stop the program on that port, or restart on another one"
            ) from exc
        finally:  # the listeners and the table say what is served
            table.function_urls = [r for r in table.function_urls if r.function_id in self._url_servers]
            if self._api_server is None:
                table.routes = []
            self._list_listeners()

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
        servers = self._servers
        return servers[0].port if servers else 0

    @property
    def _servers(self) -> list[GatewayServer]:
        api = [self._api_server] if self._api_server is not None else []
        return api + list(self._url_servers.values())

    def url_for(self, route: Route) -> str:
        """The base URL that serves this route."""
        for listener in self.listeners:
            if route in listener.routes:
                return listener.url
        raise KeyError(route.route_key)

    def stop(self) -> None:
        """Stops every listener (the warm functions stay with their owner); blocks."""
        servers = self._servers
        self._api_server, self._url_servers = None, {}
        for server in servers:
            server.shutdown()
        self.listeners = []
