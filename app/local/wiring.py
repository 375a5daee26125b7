"""Wires each function's triggers to the local resources: pollers and dispatchers of runner/triggers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.local.functions import LocalFunctions
from app.project.resources import QUEUE, ResourceModel, Trigger
from runner.result import InvokeResult
from runner.triggers.sqs import SqsPoller, SqsSource

LineSink = Callable[[str], None]


class Wiring:
    """The running triggers of one local application; start() then stop()."""

    def __init__(
        self, model: ResourceModel, client: Callable[[str], Any], functions: LocalFunctions, log: LineSink
    ) -> None:
        self.model = model
        self.client = client
        self.functions = functions
        self.log = log
        self.parts: list[Any] = []
        self.sqs: dict[str, SqsPoller] = {}  # "function/event" -> poller

    def invoke(self, function_id: str, event: bytes, sink: LineSink | None) -> InvokeResult:
        return self.functions.invoke(function_id, event, sink)

    def start(self) -> list[str]:
        """Starts every trigger it can run; returns the problems of the others (never raises)."""
        problems: list[str] = []
        for trigger in self.model.triggers:
            try:
                problem = self._start_one(trigger)
            except Exception as exc:  # a bad property value of the template, an endpoint error
                problem = f"{type(exc).__name__}: {exc}"
            if problem:
                line = f" (template line {trigger.line})" if trigger.line else ""
                problems.append(f"{trigger.function_id}.{trigger.name}{line}: {problem}")
        for line in problems:
            self.log(f"lambda-studio: trigger not running: {line}")
        return problems

    def _start_one(self, trigger: Trigger) -> str | None:
        if trigger.type == "SQS":
            res = self.model.find(trigger.properties.get("Queue"))
            if res is None or res.type != QUEUE:
                return f"queue {trigger.properties.get('Queue')!r} is not a queue of the template"
            source = SqsSource.from_properties(
                trigger.function_id, res.ref, res.arn, trigger.properties, self.model.region
            )
            poller = SqsPoller(source, self.client, self.invoke, self.log)
            poller.start()
            self.parts.append(poller)
            self.sqs[f"{trigger.function_id}/{trigger.name}"] = poller
            return None
        if trigger.type in ("Api", "HttpApi"):
            return None  # served by the local HTTP API
        return f"{trigger.type} triggers do not run locally yet"

    def stop(self) -> None:
        """Stops every poller and dispatcher; blocks until their threads end."""
        parts, self.parts = self.parts, []
        for part in parts:
            part.stop()
