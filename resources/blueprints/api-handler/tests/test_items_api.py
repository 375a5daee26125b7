"""Unit tests of ItemsFunction against a moto-backed DynamoDB table, driven by the saved events."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from conftest import PROJECT, LambdaContext, load_handler_module
from moto import mock_aws

app = load_handler_module("items_api")
EVENTS = PROJECT / "events" / "ItemsFunction"
TABLE = "items-test"
SAVED_ID = "6b0f3c52-9a4e-4c1d-8e7f-2d5a1b3c4e5f"


def load_event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text(encoding="utf-8"))


def body_of(response: dict[str, Any]) -> Any:
    return json.loads(response["body"])


@pytest.fixture
def table(aws_credentials: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A fresh items table in moto, and the handler pointed at it through its resource factory."""
    with mock_aws():
        resource = boto3.resource("dynamodb", region_name="us-east-1")
        created = resource.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        monkeypatch.setenv("TABLE_NAME", TABLE)
        monkeypatch.setattr(app, "dynamodb_resource", lambda: resource)
        yield created


def test_create_then_get_then_list(table: Any, lambda_context: LambdaContext) -> None:
    created = app.lambda_handler(load_event("create-item.json"), lambda_context)
    assert created["statusCode"] == 201
    item = body_of(created)
    assert item["name"] == "Espresso cup"
    assert item["price"] == 4.5
    assert item["tags"] == ["kitchen"]

    get_event = load_event("get-item.json")
    get_event["pathParameters"] = {"id": item["id"]}
    fetched = app.lambda_handler(get_event, lambda_context)
    assert fetched["statusCode"] == 200
    assert body_of(fetched) == item

    listed = app.lambda_handler(load_event("list-items.json"), lambda_context)
    assert listed["statusCode"] == 200
    assert body_of(listed) == {"items": [item]}


def test_saved_get_and_delete_events(table: Any, lambda_context: LambdaContext) -> None:
    table.put_item(Item={"id": SAVED_ID, "name": "Teapot"})
    assert body_of(app.lambda_handler(load_event("get-item.json"), lambda_context))["name"] == "Teapot"
    deleted = app.lambda_handler(load_event("delete-item.json"), lambda_context)
    assert deleted["statusCode"] == 204
    assert "Item" not in table.get_item(Key={"id": SAVED_ID})
    again = app.lambda_handler(load_event("delete-item.json"), lambda_context)
    assert again["statusCode"] == 404


def test_missing_item_is_404(table: Any, lambda_context: LambdaContext) -> None:
    response = app.lambda_handler(load_event("get-item.json"), lambda_context)
    assert response["statusCode"] == 404
    assert SAVED_ID in body_of(response)["message"]


def test_list_pages_with_limit_and_after(table: Any, lambda_context: LambdaContext) -> None:
    for n in range(5):
        table.put_item(Item={"id": f"item-{n}", "name": f"Item {n}"})
    event = load_event("list-items.json")
    seen: list[str] = []
    event["queryStringParameters"] = {"limit": "2"}
    while True:
        page = body_of(app.lambda_handler(event, lambda_context))
        assert len(page["items"]) <= 2
        seen += [item["id"] for item in page["items"]]
        if "next" not in page:
            break
        event["queryStringParameters"] = {"limit": "2", "after": page["next"]}
    assert sorted(seen) == [f"item-{n}" for n in range(5)]


@pytest.mark.parametrize(
    ("body", "message"),
    [("{not json", "not valid JSON"), ("[]", "JSON object"), ('{"price": 3}', "name is required")],
)
def test_bad_create_bodies_are_400(
    table: Any, lambda_context: LambdaContext, body: str, message: str
) -> None:
    event = load_event("create-item.json")
    event["body"] = body
    response = app.lambda_handler(event, lambda_context)
    assert response["statusCode"] == 400
    assert message in body_of(response)["message"]


def test_base64_body_is_decoded(table: Any, lambda_context: LambdaContext) -> None:
    event = load_event("create-item.json")
    event["body"] = base64.b64encode(b'{"name": "Kettle"}').decode()
    event["isBase64Encoded"] = True
    assert body_of(app.lambda_handler(event, lambda_context))["name"] == "Kettle"


def test_bad_limit_is_400(table: Any, lambda_context: LambdaContext) -> None:
    event = load_event("list-items.json")
    event["queryStringParameters"] = {"limit": "lots"}
    assert app.lambda_handler(event, lambda_context)["statusCode"] == 400


def test_unknown_route_and_wrong_method(lambda_context: LambdaContext) -> None:
    event = load_event("list-items.json")
    event["httpMethod"] = "PATCH"
    response = app.lambda_handler(event, lambda_context)
    assert response["statusCode"] == 405
    assert response["headers"]["allow"] == "GET, POST"
    event.update(resource="/orders", path="/orders", httpMethod="GET")
    assert app.lambda_handler(event, lambda_context)["statusCode"] == 404
