"""The local application: the embedded endpoint, the template's resources, seed data and triggers, around LocalFunctions."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from app.local.create import create_all
from app.local.endpoint import LocalEndpoint
from app.local.functions import LocalFunctions
from app.local.seed import load_seed
from app.project.model import Project
from app.project.resources import ResourceModel, load_resources
from runner.backends.contract import Backend, LogSink
from runner.emulator.gate_link import GateLink


class LocalCloud:
    """Starts and stops everything of one project's local application; one owner of that state."""

    def __init__(self, project: Project, *, aws_port: int = 0, region: str = "us-east-1") -> None:
        self.project = project
        self.endpoint = LocalEndpoint(aws_port, region)
        self.model: ResourceModel | None = None
        self.functions: LocalFunctions | None = None
        self.problems: list[str] = []
        self.wiring: Any = None  # app.local.wiring.Wiring once triggers run
        self.invoke_api: Any = None  # app.local.invoke_api.InvokeApi
        self.http_api: Any = None  # app.local.api.LocalApi when the routes are served
        self.gate: Any = None  # app.local.gate.HostGate while functions may run in containers
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return self.endpoint.url

    def start(
        self,
        backend: Backend,
        sink: LogSink,
        env_vars: Mapping[str, Any] | None = None,
        *,
        triggers: bool = True,
        clock: Any = None,
        on_result: Callable[[str, str, Any], None] | None = None,
        api_port: int | None = None,
    ) -> LocalFunctions:
        """Starts the endpoint, creates the resources, loads seed data and starts the triggers; blocks.

        Raises runner.result.SetupError when the endpoint cannot start (nothing is left running then).
        ``clock`` (a runner.triggers.schedule.VirtualClock) drives the schedules instead of the wall clock;
        ``on_result(function_id, trigger, result)`` hears every invoke a trigger made (from its thread);
        ``api_port`` also serves the template's HTTP routes there (the local HTTP API, app/local/api.py).
        """
        self.endpoint.start()
        try:
            model = load_resources(self.project, self.endpoint.url, region=self.endpoint.region)
            self.model = model
            self.problems = list(model.problems)
            self.problems += create_all(model, self.endpoint.client, sink)
            model.refresh_triggers()
            self.problems += load_seed(self.project.root, model, self.endpoint.client, sink)
            overrides = function_overrides(model, env_vars)
            from app.local.invoke_api import InvokeApi

            self.invoke_api = InvokeApi(self, sink)
            environment = {
                **self.endpoint.function_environment(),
                "AWS_ENDPOINT_URL_LAMBDA": self.invoke_api.url,
            }
            link = self._start_gate(backend, sink)
            self.functions = LocalFunctions(
                self.project, backend, overrides, extra_environment=environment, host_gate=link
            )
            if triggers:
                from app.local.wiring import Wiring

                self.wiring = Wiring(
                    model, self.endpoint.client, self.functions, sink, clock=clock, on_result=on_result
                )
                self.problems += self.wiring.start()
            self.invoke_api.start()
            if api_port is not None:
                for problem in self._start_http_api(api_port, sink):
                    sink(f"lambda-studio: {problem}")
                    self.problems.append(problem)
        except BaseException:
            self.stop()
            raise
        return self.functions

    def _start_gate(self, backend: Backend, sink: LogSink) -> GateLink | None:
        """The token gate through which functions in containers reach the endpoint and the Invoke API
        (app/local/gate.py); None for a process-only backend or when it cannot listen (said in the log)."""
        client = _engine_client(backend)
        if client is None:
            return None
        try:
            return self._gate_on(client, sink)
        finally:
            if client is not getattr(backend, "client", None):
                client.close()  # made here only to find the bridge

    def _gate_on(self, client: Any, sink: LogSink) -> GateLink | None:
        from app.local.gate import HostGate, bridge_address

        assert self.invoke_api is not None  # made just before
        targets = {"aws": self.endpoint.port, "lambda": self.invoke_api.port}
        try:
            bind, dial = bridge_address(client)
            gate = HostGate(targets, bind, dial, log=sink)
            gate.start()
        except Exception as exc:  # noqa: BLE001 - the engine's errors vary; the functions still run
            problem = f"functions in containers cannot reach the local endpoint (no gate on the docker bridge: {exc})"
            sink(f"lambda-studio: {problem}")
            self.problems.append(problem)
            return None
        self.gate = gate
        return gate.link(targets)  # the same loopback ports in the container as on this machine

    def _start_http_api(self, port: int, sink: LogSink) -> list[str]:
        """Serves the routes through the local HTTP API (app/local/api.py); returns the problems."""
        from app.local.api import LocalApi  # the local HTTP API (issue 14)
        from runner.errors import UserFacingError

        assert self.functions is not None  # started just before
        api = LocalApi(self.project, self.functions, log=sink)
        try:
            self.http_api = api.start("127.0.0.1", port)
        except UserFacingError as exc:
            return [f"HTTP routes are not served: {exc}" + (f" ({exc.hint})" if exc.hint else "")]
        return []

    def stop(self) -> None:
        """Stops the triggers, the functions' runtimes and the endpoint (its state is gone); blocks."""
        with self._lock:
            wiring, self.wiring = self.wiring, None
            functions, self.functions = self.functions, None
            api, self.invoke_api = self.invoke_api, None
            http_api, self.http_api = self.http_api, None
            gate, self.gate = self.gate, None
        if http_api is not None:
            http_api.stop()
        if api is not None:
            api.stop()
        if wiring is not None:
            wiring.stop()
        if functions is not None:
            functions.close()
        if gate is not None:
            gate.stop()
        self.endpoint.stop()


def _engine_client(backend: Backend) -> Any:
    """The docker client when ``backend`` may run functions in containers, else None. Blocks briefly."""
    client = getattr(backend, "client", None)  # the container backend's
    if client is not None:
        return client
    if not callable(getattr(backend, "choose", None)):  # only the auto backend chooses per invoke
        return None
    from runner.backends.container.engine import connect
    from runner.errors import UserFacingError

    try:
        return connect(timeout=10)
    except UserFacingError:
        return None  # no engine: auto runs processes, which reach 127.0.0.1 themselves


def function_overrides(model: ResourceModel, env_vars: Mapping[str, Any] | None) -> dict[str, Any]:
    """SAM --env-vars content giving each function its variables resolved against the local resources.

    The user's own --env-vars file wins over the local values, for every section it names.
    """
    user = dict(env_vars or {})
    out: dict[str, Any] = dict(user)
    user_params = _section(user, "Parameters")
    for fid, name in model.function_names.items():
        local = model.function_environment(fid)
        by_name, by_id = _section(user, name), _section(user, fid)
        mine = {k: v for k, v in local.items() if k not in user_params and k not in by_name}
        out[fid] = {**mine, **by_id}
    return out


def _section(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key)
    return value if isinstance(value, Mapping) else {}


def summary(cloud: LocalCloud) -> list[str]:
    """The table `start` prints: resources with local names, triggers, skipped types, the endpoint."""
    model = cloud.model
    lines: list[str] = []
    if model is None:
        return lines
    rows = [(res.logical_id, res.type, res.name) for res in model.resources.values()]
    lines += _table("Resources", ("logical id", "type", "local name"), rows)
    trigger_rows = [(t.function_id, t.name, t.type, _source(model, t.properties)) for t in model.triggers]
    lines += _table("Triggers", ("function", "event", "type", "source"), trigger_rows)
    if model.skipped:
        skipped = [(s.logical_id, s.type, f"line {s.line}" if s.line else "") for s in model.skipped]
        lines += _table("Not run locally", ("logical id", "type", "template"), skipped)
    http_api = cloud.http_api
    if http_api is not None:
        rows = [(route.route_key, route.function_id, http_api.url_for(route)) for route in http_api.routes]
        lines += _table("Routes", ("route", "function", "URL"), rows)
    elif any(t.type in ("Api", "HttpApi", "FunctionUrl") for t in model.triggers):
        lines.append("HTTP routes: not served (see the problems above)")
    lines.append(f"Local AWS endpoint: {cloud.url}")
    if cloud.gate is not None:
        lines.append(
            f"    functions in containers reach it through the token gate on {cloud.gate.bind}:{cloud.gate.port}"
        )
    lines.append(f"    aws --endpoint-url {cloud.url} sqs list-queues")
    lines.append(f'    boto3.client("sqs", endpoint_url="{cloud.url}")')
    if cloud.invoke_api is not None:
        lines.append(f"Lambda Invoke API: {cloud.invoke_api.url}")
        lines.append(
            f"    aws lambda invoke --endpoint-url {cloud.invoke_api.url} --function-name NAME out.json"
        )
    return lines


def _source(model: ResourceModel, props: Mapping[str, Any]) -> str:
    for key in ("Queue", "Stream", "Bucket", "Topic", "EventBusName", "Schedule", "ScheduleExpression"):
        if key in props:
            res = model.find(props[key])
            return res.logical_id if res is not None else str(props[key])
    if "Pattern" in props:
        return "default bus"
    return ""


def _table(title: str, header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> list[str]:
    if not rows:
        return [f"{title}: none"]
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows, strict=False)]
    out = [f"{title}:"]
    for row in (header, *rows):
        out.append("    " + "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=False)).rstrip())
    return out
