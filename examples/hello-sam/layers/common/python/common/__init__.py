"""Helpers shared by hello-sam's functions, shipped as a layer."""

import json


def json_response(status, body):
    """An API Gateway HTTP API proxy response with a JSON body."""
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(body),
    }


def validate_order(order):
    """Raise ValueError unless the order has an id, a customer and a positive quantity."""
    for key in ("id", "customer", "quantity"):
        if key not in order:
            raise ValueError(f"missing field {key!r}")
    if not isinstance(order["quantity"], int) or order["quantity"] <= 0:
        raise ValueError(f"quantity must be a positive integer, got {order['quantity']!r}")
