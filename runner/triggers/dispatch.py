"""S3, SNS and EventBridge deliveries to functions: read from an internal queue the endpoint fills, turned
into Lambda's event for each matching function and handed to the asynchronous invoker."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus, unquote_plus

from runner.triggers import ClientFactory, LogSink, Worker
from runner.triggers.patterns import matches

Submit = Callable[[str, bytes, str], Any]  # (function id, event, source) -> request id


@dataclass
class Route:
    """One function reached through an internal queue, with the EventBridge pattern it needs (if any)."""

    function_id: str
    label: str
    pattern: dict[str, Any] | None = None
    subscription_arn: str = ""
    input: str | None = None  # an EventBridge target's constant Input replaces the event


def sns_event(envelope: Mapping[str, Any], subscription_arn: str) -> dict[str, Any]:
    """Lambda's SNS event from the notification SNS delivers to a queue (not raw)."""
    attributes = {
        name: {"Type": value.get("Type", "String"), "Value": value.get("Value")}
        for name, value in (envelope.get("MessageAttributes") or {}).items()
    }
    return {
        "Records": [
            {
                "EventVersion": "1.0",
                "EventSubscriptionArn": subscription_arn,
                "EventSource": "aws:sns",
                "Sns": {
                    "SignatureVersion": envelope.get("SignatureVersion", "1"),
                    "Timestamp": envelope.get("Timestamp"),
                    "Signature": envelope.get("Signature", "EXAMPLE"),
                    "SigningCertUrl": envelope.get("SigningCertURL", ""),
                    "MessageId": envelope.get("MessageId"),
                    "Message": envelope.get("Message"),
                    "MessageAttributes": attributes,
                    "Type": envelope.get("Type", "Notification"),
                    "UnsubscribeUrl": envelope.get("UnsubscribeURL", ""),
                    "TopicArn": envelope.get("TopicArn"),
                    "Subject": envelope.get("Subject"),
                },
            }
        ]
    }


class QueueDispatch:
    """Polls one internal queue; each message becomes events for its routes' functions."""

    def __init__(
        self,
        kind: str,
        queue_url: str,
        routes: list[Route],
        client: ClientFactory,
        submit: Submit,
        log: LogSink,
    ) -> None:
        self.kind = kind
        self.queue_url = queue_url
        self.routes = routes
        self._sqs = client("sqs")
        self._submit = submit
        self._log = log
        self._worker = Worker(f"{kind} dispatch {queue_url.rsplit('/', 1)[-1]}", self._step, log)

    def start(self) -> None:
        self._worker.start()

    def stop(self) -> None:
        self._worker.stop()
        self._worker.join()

    def _step(self) -> float:
        got = self._sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1, VisibilityTimeout=30
        ).get("Messages")
        for message in got or []:
            try:
                self.deliver(message.get("Body", ""))
            finally:
                self._sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return 0.0

    def deliver(self, body: str) -> int:
        """Hands the events of one internal message to the functions; returns how many were queued."""
        try:
            data = json.loads(body)
        except ValueError:
            self._log(f"[{self.kind}] ignored a message that is not JSON")
            return 0
        sent = 0
        if self.kind == "s3":
            if not isinstance(data, Mapping) or data.get("Event") == "s3:TestEvent":
                return 0
            for record in data.get("Records") or []:
                route = self._route_by_config(record.get("s3", {}).get("configurationId", ""))
                if route is None:
                    continue
                _complete_s3_record(record)
                key = record.get("s3", {}).get("object", {}).get("key", "")
                self._log(f"[s3] {record.get('eventName')} {key} → {route.function_id} ({route.label})")
                self._submit(route.function_id, json.dumps({"Records": [record]}).encode(), route.label)
                sent += 1
        elif self.kind == "sns":
            for route in self.routes:
                event = sns_event(data, route.subscription_arn)
                self._log(
                    f"[sns] message {data.get('MessageId', '')[:8]} → {route.function_id} ({route.label})"
                )
                self._submit(route.function_id, json.dumps(event).encode(), route.label)
                sent += 1
        elif self.kind == "events":
            for route in self.routes:
                if route.pattern is not None and not matches(route.pattern, data):
                    continue
                payload = route.input.encode() if route.input is not None else json.dumps(data).encode()
                self._log(
                    f"[events] {data.get('detail-type')} from {data.get('source')} → {route.function_id}"
                )
                self._submit(route.function_id, payload, route.label)
                sent += 1
        return sent

    def _route_by_config(self, config_id: str) -> Route | None:
        return next((r for r in self.routes if r.label == config_id), None)


def _complete_s3_record(record: dict[str, Any]) -> None:
    """Adds the fields of S3's documented event record that the endpoint leaves out."""
    record.setdefault("userIdentity", {"principalId": "AWS:LOCAL"})
    record.setdefault("requestParameters", {"sourceIPAddress": "127.0.0.1"})
    record.setdefault("responseElements", {"x-amz-request-id": "LOCAL", "x-amz-id-2": "LOCAL"})
    s3 = record.setdefault("s3", {})
    s3.setdefault("bucket", {}).setdefault("ownerIdentity", {"principalId": "LOCAL"})
    obj = s3.setdefault("object", {})
    # S3 form-encodes the key (a space is '+') but keeps '/'; the endpoint encodes '/' too.
    obj["key"] = quote_plus(unquote_plus(str(obj.get("key", ""))), safe="/")
    obj.setdefault("sequencer", format(abs(hash((obj.get("key"), record.get("eventTime")))), "016X")[:16])
