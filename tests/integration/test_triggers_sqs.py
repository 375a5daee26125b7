"""The SQS event source on the real local endpoint: partial failures, redrive, FIFO order, filters."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.integration.local_cloud_support import running_cloud, wait_until, write_project

pytestmark = pytest.mark.moto


def test_orders_function_partial_failure_comes_back_then_goes_to_the_dlq(example_project: Path) -> None:
    template = example_project / "template.yaml"
    text = template.read_text()
    # The example's queue, with a short visibility timeout and a dead-letter queue after 2 receives.
    text = text.replace(
        "      VisibilityTimeout: 60\n",
        "      VisibilityTimeout: 2\n"
        "      RedrivePolicy:\n"
        "        deadLetterTargetArn: !GetAtt OrdersDlq.Arn\n"
        "        maxReceiveCount: 2\n"
        "  OrdersDlq:\n"
        "    Type: AWS::SQS::Queue\n",
    )
    text = text.replace(
        "            BatchSize: 10\n",
        "            BatchSize: 10\n            MaximumBatchingWindowInSeconds: 1\n",
    )
    template.write_text(text)
    with running_cloud(example_project) as (cloud, log):
        sqs = cloud.endpoint.client("sqs")
        queue, dlq = (cloud.model.resources[k].ref for k in ("OrdersQueue", "OrdersDlq"))
        orders = [
            {"id": "o-1", "customer": "ada", "quantity": 2},
            {"id": "o-2", "customer": "grace", "quantity": 0},  # invalid: quantity must be positive
            {"id": "o-3", "customer": "alan", "quantity": 1},
        ]
        sent = sqs.send_message_batch(
            QueueUrl=queue,
            Entries=[{"Id": str(i), "MessageBody": json.dumps(o)} for i, o in enumerate(orders)],
        )
        bad_id = next(s["MessageId"] for s in sent["Successful"] if s["Id"] == "1")
        # Two pollers share the queue (as Lambda's do): the three orders come in one, two or three batches,
        # and the invalid one may be alone in its batch.
        partial = log.wait_for(lambda s: "partially failed" in s)[0]
        assert re.search(rf"partially failed, 1 of [123]: {bad_id}$", partial), partial
        log.wait_for(lambda s: "processed order o-1 for ada" in s)
        log.wait_for(lambda s: "processed order o-3 for alan" in s)
        # It comes back after the visibility timeout and fails again: then it is dead-lettered.
        log.wait_for(lambda s: f"{bad_id} (received 1x) returns after the visibility timeout" in s)
        log.wait_for(lambda s: f"{bad_id} (received 2x) goes to the dead-letter queue" in s, timeout=30)
        dead = wait_until(
            lambda: sqs.receive_message(QueueUrl=dlq, WaitTimeSeconds=1).get("Messages"),
            timeout=30,
            what="the order in the dead-letter queue",
        )
        assert [m["MessageId"] for m in dead] == [bad_id]
        assert json.loads(dead[0]["Body"])["id"] == "o-2"
        assert "rejected: quantity must be a positive integer" in log.text()
        assert "visibility timeout (2 s) is less than the function timeout (30 s); AWS rejects" in log.text()


FIFO_TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Steps:
    Type: AWS::SQS::Queue
    Properties:
      FifoQueue: true
      ContentBasedDeduplication: true
      VisibilityTimeout: 60  # longer than a cold start on a busy machine: no redelivery
  Chatty:
    Type: AWS::SQS::Queue
  Recorder:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.11
      Events:
        Ordered:
          Type: SQS
          Properties:
            Queue: !GetAtt Steps.Arn
            BatchSize: 3
            ScalingConfig: {MaximumConcurrency: 3}
        Filtered:
          Type: SQS
          Properties:
            Queue: !GetAtt Chatty.Arn
            BatchSize: 20  # AWS wants a batching window for this: a warning locally
            FilterCriteria:
              Filters:
                - Pattern: '{"body": {"kind": ["order"]}}'
"""
RECORDER = """\
def handler(event, context):
    for record in event["Records"]:
        group = record["attributes"].get("MessageGroupId", "-")
        print(f"SEEN {group} {record['body']}")
"""


def test_fifo_order_per_group_and_filter_criteria(tmp_path: Path) -> None:
    project = write_project(tmp_path / "fifo-app", FIFO_TEMPLATE, {"src/app.py": RECORDER})
    with running_cloud(project) as (cloud, log):
        sqs = cloud.endpoint.client("sqs")
        steps, chatty = (cloud.model.resources[k].ref for k in ("Steps", "Chatty"))
        for n in range(6):
            for group in ("a", "b"):
                sqs.send_message(QueueUrl=steps, MessageBody=f"{group}{n}", MessageGroupId=group)
        sqs.send_message(QueueUrl=chatty, MessageBody=json.dumps({"kind": "noise"}))
        sqs.send_message(QueueUrl=chatty, MessageBody=json.dumps({"kind": "order", "n": 1}))
        seen = log.wait_for(lambda s: s.startswith("SEEN a") or s.startswith("SEEN b"), count=12, timeout=60)
        for group in ("a", "b"):
            bodies = [line.split()[2] for line in seen if line.split()[1] == group]
            assert bodies == [f"{group}{n}" for n in range(6)]
        log.wait_for(lambda s: "Chatty" in s and "1 message(s) filtered out and deleted" in s)
        assert "BatchSize 20: more than 10 needs a batching window of 1 s or more" in log.text()
        filtered = log.wait_for(lambda s: s.startswith("SEEN -"))
        assert filtered == ['SEEN - {"kind": "order", "n": 1}']
        wait_until(
            lambda: (
                sqs.get_queue_attributes(QueueUrl=chatty, AttributeNames=["All"])["Attributes"][
                    "ApproximateNumberOfMessages"
                ]
                == "0"
            ),
            what="the filtered-out message to be deleted",
        )
        # ScalingConfig.MaximumConcurrency: 3 pollers on the FIFO queue, the default 2 on the other.
        pollers = sorted(re.sub(r"-[A-Z0-9]{12}.*#", " #", t) for t in _threads() if t.startswith("sqs "))
        assert pollers == ["sqs fifo-app-Chatty #1", "sqs fifo-app-Chatty #2"] + [
            f"sqs fifo-app-Steps #{i}" for i in (1, 2, 3)
        ]


def _threads() -> list[str]:
    import threading

    return [t.name for t in threading.enumerate()]


def test_the_pollers_of_a_queue_receive_one_at_a_time(tmp_path: Path) -> None:
    """moto's ReceiveMessage is not atomic: pollers receiving at once got the same FIFO message twice.
    The pollers of one queue take turns to receive (their invokes still overlap)."""
    import threading

    project = write_project(tmp_path / "fifo-app", FIFO_TEMPLATE, {"src/app.py": RECORDER})
    with running_cloud(project) as (cloud, log):
        pollers = [p for key, p in cloud.wiring.sqs.items() if key.endswith("Ordered")]
        assert len(pollers) == 1 and len(pollers[0]._workers) == 3
        client, queue_url = pollers[0]._sqs, pollers[0].source.queue_url  # the client may serve more queues
        lock, state = threading.Lock(), {"now": 0, "most": 0, "calls": 0}

        def before(params: dict, context: dict, **_: object) -> None:
            if params.get("QueueUrl") != queue_url:
                return
            context["counted"] = True  # a receive under way when the hooks went in is not counted
            with lock:
                state["now"] += 1
                state["calls"] += 1
                state["most"] = max(state["most"], state["now"])

        def after(context: dict, **_: object) -> None:
            if context.pop("counted", False):
                with lock:
                    state["now"] -= 1

        client.meta.events.register("before-parameter-build.sqs.ReceiveMessage", before)
        client.meta.events.register("after-call.sqs.ReceiveMessage", after)
        wait_until(lambda: state["calls"] >= 6, timeout=30, what="six receives by the three pollers")
        assert state["most"] == 1, state
