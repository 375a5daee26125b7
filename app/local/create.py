"""Creates the template's resources on the local endpoint, with their local names and properties."""

from __future__ import annotations

import json
import secrets
import string
from collections.abc import Callable
from typing import Any

from app.project import resources as r
from app.project.resource_names import value_text
from app.project.resources import LocalResource, ResourceModel

ClientFactory = Callable[[str], Any]
QUEUE_ATTRIBUTES = (
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
    "FifoQueue",
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "FifoThroughputLimit",
)
KEY_TYPES = {"String": "S", "Number": "N", "Binary": "B"}


def create_all(model: ResourceModel, client: ClientFactory, log: Callable[[str], None]) -> list[str]:
    """Creates every supported resource (dead-letter queues first); returns the problems, never raises.

    A resource that fails to create is named in the returned problems and the others still run.
    """
    problems: list[str] = []
    ordered = sorted(model.resources.values(), key=_order)
    for res in ordered:
        try:
            _CREATE[res.type](res, model, client)
        except Exception as exc:  # botocore ClientError, ParamValidationError: the template's mistake
            problems.append(f"{res.logical_id} ({res.type}) was not created: {exc}")
            continue
        for problem in res.problems:
            problems.append(f"{res.logical_id}: {problem}")
    for line in problems:
        log(f"lambda-studio: {line}")
    return problems


def _order(res: LocalResource) -> tuple[int, str]:
    rank = {r.QUEUE: 1 if "RedrivePolicy" in res.properties else 0, r.SUBSCRIPTION: 5, r.RULE: 6}
    return rank.get(res.type, 2), res.logical_id


def _queue(res: LocalResource, model: ResourceModel, client: ClientFactory) -> None:
    attrs = {k: value_text(res.properties[k]) for k in QUEUE_ATTRIBUTES if k in res.properties}
    for key in ("RedrivePolicy", "RedriveAllowPolicy"):
        if key in res.properties:
            value = res.properties[key]
            attrs[key] = value if isinstance(value, str) else json.dumps(value)
    client("sqs").create_queue(QueueName=res.name, Attributes=attrs)


def _topic(res: LocalResource, model: ResourceModel, client: ClientFactory) -> None:
    attrs = {
        k: value_text(res.properties[k])
        for k in ("FifoTopic", "ContentBasedDeduplication")
        if k in res.properties
    }
    sns = client("sns")
    arn = sns.create_topic(Name=res.name, Attributes=attrs)["TopicArn"]
    for sub in res.properties.get("Subscription") or []:
        if isinstance(sub, dict) and sub.get("Protocol") != "lambda":
            sns.subscribe(TopicArn=arn, Protocol=str(sub.get("Protocol")), Endpoint=str(sub.get("Endpoint")))


def _subscription(res: LocalResource, model: ResourceModel, client: ClientFactory) -> None:
    props = res.properties
    if props.get("Protocol") == "lambda":
        return  # a function subscription is a trigger, dispatched by the local application
    attrs = {}
    for key in ("FilterPolicy", "FilterPolicyScope", "RawMessageDelivery", "RedrivePolicy"):
        if key in props:
            attrs[key] = props[key] if isinstance(props[key], str) else json.dumps(props[key])
    response = client("sns").subscribe(
        TopicArn=str(props.get("TopicArn")),
        Protocol=str(props.get("Protocol")),
        Endpoint=str(props.get("Endpoint")),
        Attributes=attrs,
        ReturnSubscriptionArn=True,
    )
    res.ref = response["SubscriptionArn"]


def _bucket(res: LocalResource, model: ResourceModel, client: ClientFactory) -> None:
    s3 = client("s3")
    if model.region == "us-east-1":
        s3.create_bucket(Bucket=res.name)
    else:
        s3.create_bucket(Bucket=res.name, CreateBucketConfiguration={"LocationConstraint": model.region})
    versioning = res.properties.get("VersioningConfiguration")
    if isinstance(versioning, dict) and versioning.get("Status"):
        s3.put_bucket_versioning(Bucket=res.name, VersioningConfiguration={"Status": versioning["Status"]})


def _table(res: LocalResource, model: ResourceModel, client: ClientFactory) -> None:
    props = res.properties
    args: dict[str, Any] = {"TableName": res.name}
    if res.type == r.SIMPLE_TABLE:
        key = props["PrimaryKey"] if isinstance(props.get("PrimaryKey"), dict) else {}
        name, ktype = str(key.get("Name", "id")), KEY_TYPES.get(str(key.get("Type", "String")), "S")
        args["KeySchema"] = [{"AttributeName": name, "KeyType": "HASH"}]
        args["AttributeDefinitions"] = [{"AttributeName": name, "AttributeType": ktype}]
    else:
        for key in ("KeySchema", "AttributeDefinitions", "GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
            if key in props:
                args[key] = props[key]
    if "ProvisionedThroughput" in props and props.get("BillingMode") != "PAY_PER_REQUEST":
        args["ProvisionedThroughput"] = {k: int(v) for k, v in props["ProvisionedThroughput"].items()}
        for index in args.get("GlobalSecondaryIndexes") or []:
            if "ProvisionedThroughput" in index:
                index["ProvisionedThroughput"] = {
                    k: int(v) for k, v in index["ProvisionedThroughput"].items()
                }
    else:
        args["BillingMode"] = "PAY_PER_REQUEST"
    stream = props.get("StreamSpecification")
    if isinstance(stream, dict) and stream.get("StreamViewType"):
        args["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream["StreamViewType"]}
    description = client("dynamodb").create_table(**args)["TableDescription"]
    if description.get("LatestStreamArn"):
        res.attributes["StreamArn"] = description["LatestStreamArn"]


def _stream(res: LocalResource, model: ResourceModel, client: ClientFactory) -> None:
    kinesis = client("kinesis")
    mode = res.properties.get("StreamModeDetails")
    if isinstance(mode, dict) and mode.get("StreamMode") == "ON_DEMAND":
        kinesis.create_stream(StreamName=res.name, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    else:
        kinesis.create_stream(StreamName=res.name, ShardCount=int(res.properties.get("ShardCount", 1)))


def _bus(res: LocalResource, model: ResourceModel, client: ClientFactory) -> None:
    client("events").create_event_bus(Name=res.name)


def _rule(res: LocalResource, model: ResourceModel, client: ClientFactory) -> None:
    props = res.properties
    args: dict[str, Any] = {"Name": res.name, "State": str(props.get("State", "ENABLED"))}
    if props.get("EventBusName"):
        args["EventBusName"] = str(props["EventBusName"]).rsplit("/", 1)[-1]
    if "EventPattern" in props:
        pattern = props["EventPattern"]
        args["EventPattern"] = pattern if isinstance(pattern, str) else json.dumps(pattern)
    if "ScheduleExpression" in props:
        args["ScheduleExpression"] = str(props["ScheduleExpression"])
    events = client("events")
    events.put_rule(**args)
    targets = [
        {"Id": str(t.get("Id", i)), "Arn": str(t["Arn"])}
        for i, t in enumerate(props.get("Targets") or [])
        if isinstance(t, dict) and isinstance(t.get("Arn"), str) and ":lambda:" not in t["Arn"]
    ]
    if targets:
        bus = {"EventBusName": args["EventBusName"]} if "EventBusName" in args else {}
        events.put_targets(Rule=res.name, Targets=targets, **bus)


def _parameter(res: LocalResource, model: ResourceModel, client: ClientFactory) -> None:
    value = res.properties.get("Value", "")
    client("ssm").put_parameter(
        Name=res.name, Value=value_text(value), Type=str(res.properties.get("Type", "String")), Overwrite=True
    )


def _secret(res: LocalResource, model: ResourceModel, client: ClientFactory) -> None:
    props = res.properties
    text = props.get("SecretString")
    generate = props.get("GenerateSecretString")
    if text is None and isinstance(generate, dict):
        text = _generated_secret(generate)
    args: dict[str, Any] = {"Name": res.name}
    if text is not None:
        args["SecretString"] = value_text(text)
    res.ref = client("secretsmanager").create_secret(**args)["ARN"]
    res.attributes["Id"] = res.ref


def _generated_secret(spec: dict[str, Any]) -> str:
    """A fresh random secret as GenerateSecretString describes (length, exclusions, template key)."""
    length = int(spec.get("PasswordLength", 32))
    alphabet = string.ascii_letters + string.digits + "!#$%&()*+,-.:;<=>?@[]^_{|}~"
    excluded = set(str(spec.get("ExcludeCharacters", "")))
    if str(spec.get("ExcludePunctuation", "")).lower() == "true":
        excluded |= set(string.punctuation)
    pool = [c for c in alphabet if c not in excluded] or list(string.ascii_letters)
    password = "".join(secrets.choice(pool) for _ in range(length))
    template, key = spec.get("SecretStringTemplate"), spec.get("GenerateStringKey")
    if isinstance(template, str) and isinstance(key, str):
        try:
            data = json.loads(template)
            data[key] = password
            return json.dumps(data)
        except (ValueError, TypeError):
            pass
    return password


_CREATE: dict[str, Callable[[LocalResource, ResourceModel, ClientFactory], None]] = {
    r.QUEUE: _queue,
    r.TOPIC: _topic,
    r.SUBSCRIPTION: _subscription,
    r.BUCKET: _bucket,
    r.TABLE: _table,
    r.SIMPLE_TABLE: _table,
    r.STREAM: _stream,
    r.BUS: _bus,
    r.RULE: _rule,
    r.PARAMETER: _parameter,
    r.SECRET: _secret,
}
