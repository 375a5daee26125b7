"""The names CloudFormation gives the local resources, and the Ref/GetAtt values it documents per type."""

from __future__ import annotations

import hashlib
import json
import string
from collections.abc import Mapping
from typing import Any

from app.project.functions import LAMBDA_FUNCTION, SERVERLESS_FUNCTION

QUEUE = "AWS::SQS::Queue"
TOPIC = "AWS::SNS::Topic"
SUBSCRIPTION = "AWS::SNS::Subscription"
BUCKET = "AWS::S3::Bucket"
TABLE = "AWS::DynamoDB::Table"
SIMPLE_TABLE = "AWS::Serverless::SimpleTable"
STREAM = "AWS::Kinesis::Stream"
BUS = "AWS::Events::EventBus"
RULE = "AWS::Events::Rule"
PARAMETER = "AWS::SSM::Parameter"
SECRET = "AWS::SecretsManager::Secret"
ESM = "AWS::Lambda::EventSourceMapping"
SUPPORTED = (QUEUE, TOPIC, SUBSCRIPTION, BUCKET, TABLE, SIMPLE_TABLE, STREAM, BUS, RULE, PARAMETER, SECRET)
# Types that are part of the functions themselves (or their permissions), not something to run locally.
FUNCTION_PARTS = (
    SERVERLESS_FUNCTION,
    LAMBDA_FUNCTION,
    "AWS::Serverless::LayerVersion",
    "AWS::Lambda::LayerVersion",
    "AWS::Lambda::Permission",
    "AWS::Lambda::EventInvokeConfig",
    ESM,
)
# The property holding an explicit physical name, per type; absent means CloudFormation names it.
NAME_PROPERTY = {
    QUEUE: "QueueName",
    TOPIC: "TopicName",
    BUCKET: "BucketName",
    TABLE: "TableName",
    SIMPLE_TABLE: "TableName",
    STREAM: "Name",
    BUS: "Name",
    RULE: "Name",
    PARAMETER: "Name",
    SECRET: "Name",
}
MAX_NAME = {QUEUE: 80, BUCKET: 63, RULE: 64, STREAM: 128, TOPIC: 256, TABLE: 255, SIMPLE_TABLE: 255}
_SUFFIX_ALPHABET = string.ascii_uppercase + string.digits


def value_text(value: Any) -> str:
    """A property value as the string AWS stores: booleans lower-case, lists and objects as JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def cloudformation_suffix(stack_name: str, logical_id: str, length: int = 12) -> str:
    """A stable stand-in for the random suffix CloudFormation appends to generated names."""
    digest = hashlib.sha256(f"{stack_name}/{logical_id}".encode()).digest()
    return "".join(_SUFFIX_ALPHABET[b % len(_SUFFIX_ALPHABET)] for b in digest[:length])


def generated_name(rtype: str, stack_name: str, logical_id: str, properties: Mapping[str, Any]) -> str:
    """The name CloudFormation gives a resource without an explicit one (stack-LogicalId-SUFFIX)."""
    suffix = cloudformation_suffix(stack_name, logical_id)
    if rtype == PARAMETER:
        return f"CFN-{logical_id}-{suffix}"
    if rtype == SECRET:
        return f"{logical_id}-{suffix}"
    limit = MAX_NAME.get(rtype, 128)
    fifo = rtype == QUEUE and str(properties.get("FifoQueue", "")).lower() == "true"
    tail = f"-{suffix}" + (".fifo" if fifo else "")
    head = f"{stack_name}-{logical_id}"[: limit - len(tail)]
    name = head + tail
    return name.lower() if rtype == BUCKET else name
