"""Unit tests of HelloWorldFunction, driven by the saved events under events/HelloWorldFunction."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import PROJECT, LambdaContext, load_handler_module

app = load_handler_module("hello_world")
EVENTS = PROJECT / "events" / "HelloWorldFunction"


def load_event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("event_file", "expected"),
    [
        ("get-hello.json", "Hello, world!"),
        ("get-hello-name.json", "Hello, ada!"),
        ("get-hello-query.json", "Hello, grace!"),
    ],
)
def test_saved_events_get_a_greeting(event_file: str, expected: str, lambda_context: LambdaContext) -> None:
    response = app.lambda_handler(load_event(event_file), lambda_context)
    assert response["statusCode"] == 200
    assert response["headers"]["content-type"] == "application/json"
    body = json.loads(response["body"])
    assert body == {"message": expected, "requestId": lambda_context.aws_request_id}


def test_greeting_word_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, lambda_context: LambdaContext
) -> None:
    monkeypatch.setenv("GREETING", "Bonjour")
    response = app.lambda_handler(load_event("get-hello-name.json"), lambda_context)
    assert json.loads(response["body"])["message"] == "Bonjour, ada!"


def test_blank_name_falls_back_to_world() -> None:
    assert app.greet("   ", "Hi") == "Hi, world!"
    assert app.greet(None, "Hi") == "Hi, world!"


def test_every_saved_event_is_valid_json() -> None:
    files = sorted(Path(EVENTS).glob("*.json"))
    assert files
    for path in files:
        assert isinstance(json.loads(path.read_text(encoding="utf-8")), dict), path.name
