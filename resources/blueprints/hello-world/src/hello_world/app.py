"""HTTP API handler: GET /hello and GET /hello/{name} answer with a JSON greeting."""

from __future__ import annotations

import json
import os
from typing import Any


def greet(name: str | None, greeting: str) -> str:
    """The sentence the function answers with; the name falls back to 'world'."""
    cleaned = (name or "").strip() or "world"
    return f"{greeting}, {cleaned}!"


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Entry point for API Gateway HTTP API (payload format 2.0) events."""
    path_params = event.get("pathParameters") or {}
    query = event.get("queryStringParameters") or {}
    name = path_params.get("name") or query.get("name")
    message = greet(name, os.environ.get("GREETING", "Hello"))
    print(f"answering {message!r} (stage {os.environ.get('STAGE', 'local')})")
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": json.dumps({"message": message, "requestId": context.aws_request_id}),
    }
