"""REST API handler: routes GET/POST /items and GET/DELETE /items/{id} to a DynamoDB table."""

from __future__ import annotations

import base64
import json
import logging
import os
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import boto3

logger = logging.getLogger()
logger.setLevel(os.environ.get("LOG_LEVEL", "INFO"))

Response = dict[str, Any]
Route = Callable[[dict[str, Any]], Response]

_resource: Any = None


def dynamodb_resource() -> Any:
    """The DynamoDB resource, created once per execution environment; tests replace this function."""
    global _resource
    if _resource is None:
        _resource = boto3.resource("dynamodb")
    return _resource


def items_table() -> Any:
    return dynamodb_resource().Table(os.environ["TABLE_NAME"])


class HttpError(Exception):
    """An error the caller caused, answered with its status code and message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def respond(status: int, body: Any) -> Response:
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json", "access-control-allow-origin": "*"},
        "body": json.dumps(body, default=_json_default),
    }


def parse_body(event: dict[str, Any]) -> dict[str, Any]:
    """The request's JSON object body, or a 400 the caller can act on."""
    raw = event.get("body") or ""
    if event.get("isBase64Encoded"):
        raw = base64.b64decode(raw).decode("utf-8")
    try:
        data = json.loads(raw, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise HttpError(400, f"body is not valid JSON: {exc.msg}") from exc
    if not isinstance(data, dict):
        raise HttpError(400, "body must be a JSON object")
    return data


def list_items(event: dict[str, Any]) -> Response:
    query = event.get("queryStringParameters") or {}
    try:
        limit = max(1, min(int(query.get("limit", 50)), 100))
    except ValueError as exc:
        raise HttpError(400, "limit must be a number") from exc
    scan: dict[str, Any] = {"Limit": limit}
    if query.get("after"):
        scan["ExclusiveStartKey"] = {"id": query["after"]}
    page = items_table().scan(**scan)
    body: dict[str, Any] = {"items": page.get("Items", [])}
    if "LastEvaluatedKey" in page:
        body["next"] = page["LastEvaluatedKey"]["id"]
    return respond(200, body)


def create_item(event: dict[str, Any]) -> Response:
    data = parse_body(event)
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise HttpError(400, "name is required")
    item = {key: value for key, value in data.items() if key not in {"id", "createdAt"}}
    item["id"] = str(uuid.uuid4())
    item["name"] = name.strip()
    item["createdAt"] = datetime.now(UTC).isoformat(timespec="seconds")
    items_table().put_item(Item=item)
    logger.info("created item %s", item["id"])
    return respond(201, item)


def get_item(event: dict[str, Any]) -> Response:
    item_id = (event.get("pathParameters") or {}).get("id", "")
    item = items_table().get_item(Key={"id": item_id}).get("Item")
    if item is None:
        raise HttpError(404, f"no item {item_id}")
    return respond(200, item)


def delete_item(event: dict[str, Any]) -> Response:
    item_id = (event.get("pathParameters") or {}).get("id", "")
    old = items_table().delete_item(Key={"id": item_id}, ReturnValues="ALL_OLD").get("Attributes")
    if old is None:
        raise HttpError(404, f"no item {item_id}")
    logger.info("deleted item %s", item_id)
    return {"statusCode": 204, "headers": {"access-control-allow-origin": "*"}, "body": ""}


ROUTES: dict[tuple[str, str], Route] = {
    ("GET", "/items"): list_items,
    ("POST", "/items"): create_item,
    ("GET", "/items/{id}"): get_item,
    ("DELETE", "/items/{id}"): delete_item,
}


def lambda_handler(event: dict[str, Any], context: Any) -> Response:
    """Entry point for API Gateway REST API proxy events: dispatch on method and resource."""
    method = event.get("httpMethod", "")
    resource = event.get("resource", "")
    route = ROUTES.get((method, resource))
    if route is None:
        allowed = sorted(m for (m, r) in ROUTES if r == resource)
        if allowed:
            response = respond(405, {"message": f"{method} is not allowed on {resource}"})
            response["headers"]["allow"] = ", ".join(allowed)
            return response
        return respond(404, {"message": f"no route for {method} {event.get('path', resource)}"})
    try:
        return route(event)
    except HttpError as exc:
        return respond(exc.status, {"message": exc.message})
