"""Triggers written as plain CloudFormation instead of a function's Events: SNS subscriptions, EventBridge
rule targets, bucket notifications and EventInvokeConfig resources that point at a template's function."""

from __future__ import annotations

from typing import Any

from app.project import resource_names as names
from app.project.resource_model import LocalResource, ResourceModel, Trigger, resolve_each

EVENT_INVOKE_CONFIG = "AWS::Lambda::EventInvokeConfig"


def _function_of(model: ResourceModel, target: Any) -> str | None:
    """The logical id of the template's function a name or ARN (with or without qualifier) means."""
    if not isinstance(target, str) or not target:
        return None
    for fid, name in model.function_names.items():
        arn = model.function_arn(fid)
        if target in (fid, name, arn) or target.startswith(arn + ":"):
            return fid
    return None


def add_resource_triggers(model: ResourceModel) -> None:
    """Adds a Trigger for every plain-CloudFormation wiring of a resource to a function."""
    for res in model.resources.values():
        props = res.properties
        if res.type == names.SUBSCRIPTION and props.get("Protocol") == "lambda":
            fid = _function_of(model, props.get("Endpoint"))
            if fid:
                keep: dict[str, Any] = {
                    k: props[k] for k in ("FilterPolicy", "FilterPolicyScope") if k in props
                }
                model.triggers.append(
                    Trigger(fid, res.logical_id, "SNS", {"Topic": props.get("TopicArn"), **keep}, res.line)
                )
        elif res.type == names.TOPIC:
            for i, sub in enumerate(props.get("Subscription") or []):
                fid = _function_of(model, sub.get("Endpoint")) if isinstance(sub, dict) else None
                if fid and sub.get("Protocol") == "lambda":
                    model.triggers.append(
                        Trigger(fid, f"{res.logical_id}.Subscription{i}", "SNS", {"Topic": res.ref}, res.line)
                    )
        elif res.type == names.RULE:
            _rule_targets(model, res)
        elif res.type == names.BUCKET:
            notifications = props.get("NotificationConfiguration")
            configs = notifications.get("LambdaConfigurations") if isinstance(notifications, dict) else None
            for i, config in enumerate(configs or []):
                fid = _function_of(model, config.get("Function")) if isinstance(config, dict) else None
                if fid:
                    trigger_props = {"Bucket": res.name, "Events": config.get("Event")}
                    if isinstance(config.get("Filter"), dict):
                        trigger_props["Filter"] = config["Filter"]
                    model.triggers.append(
                        Trigger(fid, f"{res.logical_id}.Notification{i}", "S3", trigger_props, res.line)
                    )


def _rule_targets(model: ResourceModel, res: LocalResource) -> None:
    props = res.properties
    for target in props.get("Targets") or []:
        fid = _function_of(model, target.get("Arn")) if isinstance(target, dict) else None
        if not fid:
            continue
        name = f"{res.logical_id}.{target.get('Id', 'Target')}"
        common = {"Input": target["Input"]} if "Input" in target else {}
        if "State" in props:
            common["State"] = props["State"]
        if "ScheduleExpression" in props:
            model.triggers.append(
                Trigger(fid, name, "Schedule", {"Schedule": props["ScheduleExpression"], **common}, res.line)
            )
        elif "EventPattern" in props:
            trigger_props = {"Pattern": props["EventPattern"], **common}
            if props.get("EventBusName"):
                trigger_props["EventBusName"] = props["EventBusName"]
            model.triggers.append(Trigger(fid, name, "EventBridgeRule", trigger_props, res.line))


def event_invoke_configs(model: ResourceModel, resources: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """AWS::Lambda::EventInvokeConfig resources by function logical id, their properties resolved."""
    out: dict[str, dict[str, Any]] = {}
    resolver = model.resolver()
    for resource in resources.values():
        if not isinstance(resource, dict) or resource.get("Type") != EVENT_INVOKE_CONFIG:
            continue
        raw = resource.get("Properties")
        props = resolve_each(resolver, raw if isinstance(raw, dict) else {}, [])
        fid = _function_of(model, props.get("FunctionName"))
        if fid:
            out[fid] = props
    return out
