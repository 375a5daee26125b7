"""Asynchronous invokes (InvocationType=Event) as Lambda runs them: a queue, retries, event age, destinations."""

from __future__ import annotations

import heapq
import itertools
import json
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from runner.result import InvokeResult
from runner.triggers import ClientFactory, InvokeFn, LogSink

DEFAULT_RETRIES = 2
DEFAULT_MAX_AGE_S = 6 * 3600
# Lambda waits about 1 minute before the first retry and 2 before the second; locally the same
# shape in seconds, so a retried failure shows up while the developer is still looking.
LOCAL_RETRY_DELAYS_S = (1.0, 2.0)


@dataclass
class AsyncConfig:
    """A function's EventInvokeConfig: retries, maximum event age, OnSuccess/OnFailure destinations."""

    function_arn: str
    maximum_retry_attempts: int = DEFAULT_RETRIES
    maximum_event_age_s: int = DEFAULT_MAX_AGE_S
    on_success: str | None = None
    on_failure: str | None = None
    dead_letter_arn: str | None = None

    @classmethod
    def from_properties(
        cls, function_arn: str, props: Mapping[str, Any] | None, dlq: Any = None
    ) -> AsyncConfig:
        """From SAM's EventInvokeConfig (or an AWS::Lambda::EventInvokeConfig) and DeadLetterQueue."""
        props = props or {}
        dest = props.get("DestinationConfig") if isinstance(props.get("DestinationConfig"), Mapping) else {}
        assert isinstance(dest, Mapping)

        def target(key: str) -> str | None:
            entry = dest.get(key)
            value = entry.get("Destination") if isinstance(entry, Mapping) else None
            return str(value) if value else None

        return cls(
            function_arn=function_arn,
            maximum_retry_attempts=max(0, min(2, int(props.get("MaximumRetryAttempts", DEFAULT_RETRIES)))),
            maximum_event_age_s=int(props.get("MaximumEventAgeInSeconds", DEFAULT_MAX_AGE_S)),
            on_success=target("OnSuccess"),
            on_failure=target("OnFailure"),
            dead_letter_arn=str(dlq["TargetArn"])
            if isinstance(dlq, Mapping) and dlq.get("TargetArn")
            else None,
        )


@dataclass(order=True)
class _Pending:
    due: float
    seq: int
    function_id: str = field(compare=False)
    event: bytes = field(compare=False)
    request_id: str = field(compare=False)
    first_seen: float = field(compare=False)
    attempt: int = field(compare=False, default=1)
    source: str = field(compare=False, default="")


class AsyncInvoker:
    """Queues events for functions and runs them on worker threads with Lambda's retry rules."""

    def __init__(
        self,
        invoke: InvokeFn,
        client: ClientFactory,
        log: LogSink,
        configs: Mapping[str, AsyncConfig],
        *,
        retry_delays: tuple[float, ...] = LOCAL_RETRY_DELAYS_S,
        clock: Callable[[], float] = time.monotonic,
        workers: int = 2,
        on_result: Callable[[str, str, InvokeResult], None] | None = None,
    ) -> None:
        self.on_result = on_result  # (function id, source, result) after every attempt
        self._invoke = invoke
        self._client = client
        self._log = log
        self.configs = dict(configs)
        self._delays = retry_delays
        self._clock = clock
        self._heap: list[_Pending] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._stopping = False
        self._busy = 0
        self._threads = [
            threading.Thread(target=self._run, name=f"async invoke #{i + 1}", daemon=True)
            for i in range(workers)
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, function_id: str, event: bytes, source: str = "") -> str:
        """Queues one event (Lambda answers 202 at this point); returns its request id."""
        request_id = str(uuid.uuid4())
        now = self._clock()
        with self._cond:
            pending = _Pending(now, next(self._seq), function_id, event, request_id, now, source=source)
            heapq.heappush(self._heap, pending)
            self._cond.notify()
        self._log(
            f"[async] {function_id}: event queued{f' from {source}' if source else ''} ({request_id[:8]})"
        )
        return request_id

    def idle(self) -> bool:
        """True when nothing is queued, waiting for a retry or running."""
        with self._cond:
            return not self._heap and self._busy == 0

    def stop(self) -> None:
        """Stops the workers; queued events are dropped (the local state goes away with them)."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        for thread in self._threads:
            thread.join(10)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopping and (not self._heap or self._heap[0].due > self._clock()):
                    timeout = None if not self._heap else max(0.0, self._heap[0].due - self._clock())
                    self._cond.wait(timeout if timeout is not None else 1.0)
                if self._stopping:
                    return
                item = heapq.heappop(self._heap)
                self._busy += 1
            try:
                self._attempt(item)
            except Exception as exc:  # a destination that cannot be reached: say so, keep running
                self._log(f"[async] {item.function_id}: {type(exc).__name__}: {exc}")
            finally:
                with self._cond:
                    self._busy -= 1

    def _attempt(self, item: _Pending) -> None:
        config = self.configs.get(item.function_id) or AsyncConfig(function_arn=item.function_id)
        age = self._clock() - item.first_seen
        if age > config.maximum_event_age_s:
            self._log(
                f"[async] {item.function_id}: event {item.request_id[:8]} too old ({age:.0f} s), dropped"
            )
            self._deliver_failure(config, item, None, "EventAgeExceeded")
            return
        result = self._invoke(item.function_id, item.event, self._log)
        if self.on_result is not None:
            self.on_result(item.function_id, item.source or "asynchronous invoke", result)
        if result.ok:
            self._log(
                f"[async] {item.function_id}: event {item.request_id[:8]} succeeded (attempt {item.attempt})"
            )
            if config.on_success:
                self._send(config.on_success, record(config, item, result, "Success"))
            return
        retries_left = config.maximum_retry_attempts - (item.attempt - 1)
        what = result.error.message if result.error else result.outcome.value
        if retries_left > 0:
            delay = self._delays[min(item.attempt - 1, len(self._delays) - 1)] if self._delays else 0.0
            self._log(
                f"[async] {item.function_id}: attempt {item.attempt} failed ({what}); retrying in {delay:g} s"
            )
            with self._cond:
                heapq.heappush(
                    self._heap,
                    _Pending(
                        self._clock() + delay,
                        next(self._seq),
                        item.function_id,
                        item.event,
                        item.request_id,
                        item.first_seen,
                        item.attempt + 1,
                        item.source,
                    ),
                )
                self._cond.notify()
            return
        self._log(f"[async] {item.function_id}: attempt {item.attempt} failed ({what}); retries exhausted")
        self._deliver_failure(config, item, result, "RetriesExhausted")

    def _deliver_failure(
        self, config: AsyncConfig, item: _Pending, result: InvokeResult | None, condition: str
    ) -> None:
        if config.on_failure:
            self._send(config.on_failure, record(config, item, result, condition))
        elif config.dead_letter_arn:
            self._send(config.dead_letter_arn, item.event.decode("utf-8", "replace"), raw=True)

    def _send(self, arn: str, body: Any, raw: bool = False) -> None:
        """Delivers a destination record to an SQS queue, SNS topic, event bus or function."""
        text = body if raw else json.dumps(body)
        service = arn.split(":")[2] if arn.count(":") >= 5 else ""
        if service == "sqs":
            sqs = self._client("sqs")
            url = sqs.get_queue_url(QueueName=arn.rsplit(":", 1)[1])["QueueUrl"]
            sqs.send_message(QueueUrl=url, MessageBody=text)
        elif service == "sns":
            self._client("sns").publish(TopicArn=arn, Message=text)
        elif service == "events":
            success = not raw and body["requestContext"]["condition"] == "Success"
            self._client("events").put_events(
                Entries=[
                    {
                        "Source": "lambda",
                        "DetailType": f"Lambda Function Invocation Result - {'Success' if success else 'Failure'}",
                        "Detail": text,
                        "EventBusName": arn,
                        "Resources": [body["requestContext"]["functionArn"]] if not raw else [],
                    }
                ]
            )
        elif service == "lambda":
            target = arn.split(":function:", 1)[-1].split(":")[0]
            self.submit(target, text.encode(), source="a destination")
            return
        else:
            self._log(f"[async] destination {arn} is not an SQS queue, SNS topic, event bus or function")
            return
        self._log(f"[async] record sent to {arn}")


def record(
    config: AsyncConfig, item: _Pending, result: InvokeResult | None, condition: str
) -> dict[str, Any]:
    """The destination record Lambda sends: requestContext, requestPayload, responseContext/Payload."""
    try:
        payload: Any = json.loads(item.event)
    except ValueError:
        payload = item.event.decode("utf-8", "replace")
    out: dict[str, Any] = {
        "version": "1.0",
        "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "requestContext": {
            "requestId": item.request_id,
            "functionArn": f"{config.function_arn}:$LATEST",
            "condition": condition,
            "approximateInvokeCount": item.attempt,
        },
        "requestPayload": payload,
    }
    if result is not None:
        context: dict[str, Any] = {"statusCode": 200, "executedVersion": "$LATEST"}
        if not result.ok:
            context["functionError"] = "Unhandled"
        out["responseContext"] = context
        try:
            out["responsePayload"] = result.payload_json()
        except (ValueError, UnicodeDecodeError):
            out["responsePayload"] = result.payload.decode("utf-8", "replace")
        if not result.ok and result.error is not None and out["responsePayload"] is None:
            out["responsePayload"] = {"errorMessage": result.error.message, "errorType": result.error.type}
    return out
