"""Wires each function's triggers to the local resources: pollers and dispatchers of runner/triggers."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from app.local.functions import LocalFunctions
from app.project.resources import BUCKET, QUEUE, TOPIC, ResourceModel, Trigger, cloudformation_suffix
from runner.backends.contract import LogSink
from runner.result import InvokeResult
from runner.triggers.async_invoke import AsyncConfig, AsyncInvoker
from runner.triggers.dispatch import QueueDispatch, Route
from runner.triggers.patterns import parse_pattern
from runner.triggers.schedule import ScheduleEntry, Scheduler, parse_expression
from runner.triggers.sqs import SqsPoller, SqsSource
from runner.triggers.streams import StreamPoller, StreamSource

HTTP_TYPES = ("Api", "HttpApi")
RULE_TYPES = ("EventBridgeRule", "CloudWatchEvent")
SCHEDULE_TYPES = ("Schedule", "ScheduleV2")
# Stream event properties that run differently here (key: Lambda's default, why): a warning, the
# trigger still runs.
STREAM_NOT_RUN = {
    "TumblingWindowInSeconds": (
        "0",
        "tumbling windows are not run locally (no window, no state between batches)",
    ),
    "ParallelizationFactor": ("1", "each shard is read by one batch at a time locally"),
    "MaximumBatchingWindowInSeconds": ("0", "batches are not held for a batching window locally"),
}


def _date(value: Any) -> datetime | None:
    """A ScheduleV2 StartDate/EndDate (ISO 8601, UTC when it names no offset)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Wiring:
    """The running triggers of one local application; start() then stop()."""

    def __init__(
        self,
        model: ResourceModel,
        client: Callable[[str], Any],
        functions: LocalFunctions,
        log: LogSink,
        *,
        clock: Any = None,
        on_result: Callable[[str, str, InvokeResult], None] | None = None,
    ) -> None:
        self.on_result = on_result  # (function id, what triggered it, result): the window's history
        self.model = model
        self.client = client
        self.functions = functions
        self.log = log
        self.parts: list[Any] = []
        self.sqs: dict[str, SqsPoller] = {}  # "function/event" -> poller
        self.streams: dict[str, StreamPoller] = {}
        configs = {
            fid: AsyncConfig.from_properties(
                model.function_arn(fid),
                model.function_property(fid, "EventInvokeConfig") or model.invoke_configs.get(fid),
                model.function_property(fid, "DeadLetterQueue"),
            )
            for fid in model.function_names
        }
        self.async_invoker = AsyncInvoker(self.invoke, client, log, configs, on_result=on_result)
        self.scheduler = Scheduler(self._fire_schedule, log, clock)
        self._s3: dict[str, list[tuple[Trigger, dict[str, Any]]]] = {}
        self._sns: list[tuple[Trigger, str]] = []
        self._rules: dict[str, list[Route]] = {}

    def invoke(self, function_id: str, event: bytes, sink: LogSink | None) -> InvokeResult:
        return self.functions.invoke(function_id, event, sink)

    def _labelled(self, label: str) -> Callable[[str, bytes, LogSink | None], InvokeResult]:
        """The invoke callable of one trigger: it also reports each result with what triggered it."""

        def invoke(function_id: str, event: bytes, sink: LogSink | None) -> InvokeResult:
            result = self.functions.invoke(function_id, event, sink)
            if self.on_result is not None:
                self.on_result(function_id, label, result)
            return result

        return invoke

    def invoke_async(self, function_id: str, event: bytes) -> str:
        """InvocationType=Event: queued, retried and sent to destinations as Lambda does."""
        return self.async_invoker.submit(function_id, event, "an asynchronous invoke")

    def start(self) -> list[str]:
        """Starts every trigger it can run; returns the problems of the others (never raises)."""
        problems: list[str] = []
        for trigger in self.model.triggers:
            problems += self._guard(trigger, lambda t=trigger: self._start_one(t))  # type: ignore[misc]
        for bucket, entries in self._s3.items():
            problems += self._guard(entries[0][0], lambda b=bucket, e=entries: self._start_s3(b, e))  # type: ignore[misc]
        for trigger, topic in self._sns:
            problems += self._guard(trigger, lambda t=trigger, a=topic: self._start_sns(t, a))  # type: ignore[misc]
        for bus, routes in self._rules.items():
            problems += self._guard(None, lambda b=bus, r=routes: self._start_bus(b, r))  # type: ignore[misc]
        self.scheduler.start()
        for line in problems:
            self.log(f"lambda-studio: trigger not running: {line}")
        return problems

    @staticmethod
    def _guard(trigger: Trigger | None, action: Callable[[], str | None]) -> list[str]:
        try:
            problem = action()
        except Exception as exc:  # a bad property value of the template, an endpoint error
            problem = f"{type(exc).__name__}: {exc}"
        if not problem:
            return []
        if trigger is None:
            return [problem]
        line = f" (template line {trigger.line})" if trigger.line else ""
        return [f"{trigger.function_id}.{trigger.name}{line}: {problem}"]

    def _start_one(self, trigger: Trigger) -> str | None:
        props, kind = trigger.properties, trigger.type
        if kind == "SQS":
            res = self.model.find(props.get("Queue"))
            if res is None or res.type != QUEUE:
                return f"queue {props.get('Queue')!r} is not a queue of the template"
            spec = self.functions.spec(trigger.function_id)
            visibility = int(res.properties.get("VisibilityTimeout", 30))
            if spec is not None and visibility < spec.timeout:
                # AWS refuses to create this mapping; locally it runs, with the same warning.
                self.log(
                    f"lambda-studio: warning: {trigger.function_id}.{trigger.name}: the queue's visibility timeout "
                    f"({visibility} s) is less than the function timeout ({spec.timeout} s); AWS rejects this "
                    "event source mapping (it recommends 6 times the function timeout)"
                )
            source = SqsSource.from_properties(
                trigger.function_id, res.ref, res.arn, props, self.model.region
            )
            if source.batch_size > 10 and (source.fifo or source.batching_window_s < 1):
                why = (
                    "a FIFO queue takes at most 10"
                    if source.fifo
                    else "more than 10 needs a batching window of 1 s or more"
                )
                self.log(
                    f"lambda-studio: warning: {trigger.function_id}.{trigger.name}: BatchSize {source.batch_size}: "
                    f"{why}; AWS rejects this event source mapping"
                )
            poller = SqsPoller(source, self.client, self._labelled(f"SQS {trigger.name}"), self.log)
            poller.start()
            self.parts.append(poller)
            self.sqs[f"{trigger.function_id}/{trigger.name}"] = poller
        elif kind == "S3":
            res = self.model.find(props.get("Bucket"))
            if res is None or res.type != BUCKET:
                return f"bucket {props.get('Bucket')!r} is not a bucket of the template"
            self._s3.setdefault(res.name, []).append((trigger, props))
        elif kind == "SNS":
            res = self.model.find(props.get("Topic"))
            if res is None or res.type != TOPIC:
                return f"topic {props.get('Topic')!r} is not a topic of the template"
            self._sns.append((trigger, res.arn))
        elif kind in RULE_TYPES:
            pattern = parse_pattern(props.get("Pattern") or {})
            bus = str(props.get("EventBusName") or "default").rsplit("/", 1)[-1]
            bus_res = self.model.find(bus)
            bus = bus_res.name if bus_res is not None else bus
            text = props.get("Input")
            route = Route(trigger.function_id, f"{trigger.function_id}.{trigger.name}", pattern, input=text)
            self._rules.setdefault(bus, []).append(route)
        elif kind in ("DynamoDB", "Kinesis"):
            return self._start_stream(trigger)
        elif kind in SCHEDULE_TYPES:
            return self._add_schedule(trigger)
        elif kind in HTTP_TYPES:
            return None  # served by the local HTTP API
        else:
            return f"{kind} triggers do not run locally yet"
        return None

    def _start_stream(self, trigger: Trigger) -> str | None:
        props = trigger.properties
        arn = props.get("Stream")
        if not isinstance(arn, str) or not arn:
            why = "; ".join(trigger.problems) or "no Stream property"
            return f"no stream to read ({why})"
        kind = "dynamodb" if trigger.type == "DynamoDB" else "kinesis"
        fid = trigger.function_id
        source = StreamSource.from_properties(
            kind, fid, self.model.function_arn(fid), arn, props, self.model.region
        )
        for key, (default, what) in STREAM_NOT_RUN.items():
            if str(props.get(key, default)) != default:
                self.log(f"lambda-studio: warning: {fid}.{trigger.name}: {key} {props[key]}: {what}")
        poller = StreamPoller(source, self.client, self._labelled(f"{trigger.type} {trigger.name}"), self.log)
        poller.start()
        self.parts.append(poller)
        self.streams[f"{fid}/{trigger.name}"] = poller
        return None

    # -- S3, SNS, EventBridge: the endpoint fills an internal queue, a dispatcher reads it -----------
    def _internal_queue(self, purpose: str) -> tuple[str, str]:
        name = f"lambda-studio-{purpose}-{cloudformation_suffix(self.model.stack_name, purpose, 8)}"[:80]
        url = self.client("sqs").create_queue(QueueName=name)["QueueUrl"]
        return url, f"arn:aws:sqs:{self.model.region}:{self.model.account_id}:{name}"

    def _dispatch(self, kind: str, url: str, routes: list[Route]) -> None:
        dispatch = QueueDispatch(kind, url, routes, self.client, self._submit, self.log)
        dispatch.start()
        self.parts.append(dispatch)

    def _submit(self, function_id: str, event: bytes, source: str) -> str:
        return self.async_invoker.submit(function_id, event, source)

    def _start_s3(self, bucket: str, entries: list[tuple[Trigger, dict[str, Any]]]) -> None:
        url, arn = self._internal_queue(f"s3-{bucket}")
        configs, routes = [], []
        for trigger, props in entries:
            label = f"{trigger.function_id}.{trigger.name}"
            events = props.get("Events")
            config: dict[str, Any] = {
                "Id": label,
                "QueueArn": arn,
                "Events": events if isinstance(events, list) else [str(events)],
            }
            rules = (((props.get("Filter") or {}).get("S3Key") or {}).get("Rules")) or []
            if rules:
                config["Filter"] = {
                    "Key": {
                        "FilterRules": [
                            {"Name": str(r["Name"]).lower(), "Value": str(r["Value"])} for r in rules
                        ]
                    }
                }
            configs.append(config)
            routes.append(Route(trigger.function_id, label))
        self.client("s3").put_bucket_notification_configuration(
            Bucket=bucket, NotificationConfiguration={"QueueConfigurations": configs}
        )
        self._dispatch("s3", url, routes)

    def _start_sns(self, trigger: Trigger, topic_arn: str) -> None:
        props = trigger.properties
        url, arn = self._internal_queue(f"sns-{trigger.function_id}-{trigger.name}")
        attributes = {}
        if props.get("FilterPolicy"):
            policy = props["FilterPolicy"]
            attributes["FilterPolicy"] = policy if isinstance(policy, str) else json.dumps(policy)
        if props.get("FilterPolicyScope"):
            attributes["FilterPolicyScope"] = str(props["FilterPolicyScope"])
        sub = self.client("sns").subscribe(
            TopicArn=topic_arn,
            Protocol="sqs",
            Endpoint=arn,
            Attributes=attributes,
            ReturnSubscriptionArn=True,
        )
        label = f"{trigger.function_id}.{trigger.name}"
        self._dispatch(
            "sns", url, [Route(trigger.function_id, label, subscription_arn=sub["SubscriptionArn"])]
        )

    def _start_bus(self, bus: str, routes: list[Route]) -> None:
        url, arn = self._internal_queue(f"events-{bus}")
        events = self.client("events")
        rule = f"lambda-studio-all-{cloudformation_suffix(bus, 'all', 8)}"
        # Every event of the bus reaches the dispatcher, which matches the functions' patterns itself.
        events.put_rule(Name=rule, EventBusName=bus, EventPattern=json.dumps({"source": [{"prefix": ""}]}))
        events.put_targets(Rule=rule, EventBusName=bus, Targets=[{"Id": "lambda-studio", "Arn": arn}])
        self._dispatch("events", url, routes)

    # -- schedules ----------------------------------------------------------------------------------
    def _add_schedule(self, trigger: Trigger) -> str | None:
        props = trigger.properties
        v2 = trigger.type == "ScheduleV2"
        text = str(props.get("ScheduleExpression" if v2 else "Schedule", ""))
        expression = parse_expression(text, props.get("ScheduleExpressionTimezone") if v2 else None)
        state = str(props.get("State", "ENABLED")).upper()
        enabled = state != "DISABLED" and str(props.get("Enabled", True)).lower() != "false"
        name = f"{trigger.function_id}.{trigger.name}"
        rule_arn = f"arn:aws:events:{self.model.region}:{self.model.account_id}:rule/{name}"
        given = props.get("Input")

        def payload(when: datetime) -> bytes:
            if given is not None:
                return (given if isinstance(given, str) else json.dumps(given)).encode()
            return json.dumps(
                {
                    "version": "0",
                    "id": str(uuid.uuid4()),
                    "detail-type": "Scheduled Event",
                    "source": "aws.scheduler" if v2 else "aws.events",
                    "account": self.model.account_id,
                    "time": when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "region": self.model.region,
                    "resources": [rule_arn],
                    "detail": {},
                }
            ).encode()

        created = _date(props.get("StartDate")) if v2 else None
        created = max(created or self.scheduler.clock.now(), self.scheduler.clock.now())
        if v2 and expression.rate is not None:
            created -= expression.rate  # EventBridge Scheduler: a rate schedule fires at its start at once
        end = _date(props.get("EndDate")) if v2 else None
        self.scheduler.add(
            ScheduleEntry(name, trigger.function_id, expression, payload, created, enabled, end=end)
        )
        return None

    def _fire_schedule(self, entry: ScheduleEntry, event: bytes) -> None:
        self.async_invoker.submit(entry.function_id, event, f"schedule {entry.name}")

    def stop(self) -> None:
        """Stops every poller, dispatcher, the schedules and the async queue; blocks until their threads end."""
        parts, self.parts = self.parts, []
        self.scheduler.stop()
        for part in parts:
            part.stop()
        self.async_invoker.stop()
