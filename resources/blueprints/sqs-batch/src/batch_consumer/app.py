"""SQS batch consumer: processes each order message and reports the failed ones as batch item failures."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

logger = logging.getLogger()
logger.setLevel(os.environ.get("LOG_LEVEL", "INFO"))


class InvalidOrder(ValueError):
    """A message whose body is not an order this function can process."""


@dataclass(frozen=True)
class Order:
    order_id: str
    customer: str
    total: Decimal


def parse_order(body: str) -> Order:
    """Turn a message body into an Order; raise InvalidOrder with a readable reason otherwise."""
    try:
        data = json.loads(body)
    except json.JSONDecodeError as exc:
        raise InvalidOrder(f"body is not JSON: {exc.msg}") from exc
    if not isinstance(data, dict):
        raise InvalidOrder("body is not a JSON object")
    missing = [key for key in ("orderId", "customer", "items") if key not in data]
    if missing:
        raise InvalidOrder(f"missing {', '.join(missing)}")
    items = data["items"]
    if not isinstance(items, list) or not items:
        raise InvalidOrder("items must be a non-empty list")
    total = Decimal(0)
    for index, item in enumerate(items):
        try:
            quantity = int(item["quantity"])
            price = Decimal(str(item["price"]))
        except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
            raise InvalidOrder(f"item {index} needs a numeric quantity and price") from exc
        if quantity <= 0 or price < 0:
            raise InvalidOrder(f"item {index} has a non-positive quantity or a negative price")
        total += quantity * price
    return Order(order_id=str(data["orderId"]), customer=str(data["customer"]), total=total)


def process_order(order: Order) -> None:
    """The work done for one valid order; replace with your own (store it, call a service...)."""
    logger.info("order %s for %s totals %s", order.order_id, order.customer, order.total)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, list[dict[str, str]]]:
    """Process every record; return the failed message ids so SQS retries only those."""
    failures: list[dict[str, str]] = []
    for record in event.get("Records", []):
        message_id = record["messageId"]
        try:
            process_order(parse_order(record.get("body", "")))
        except InvalidOrder as exc:
            logger.warning("message %s rejected: %s", message_id, exc)
            failures.append({"itemIdentifier": message_id})
        except Exception:
            # Anything unexpected fails this message only, never the whole batch.
            logger.exception("message %s failed", message_id)
            failures.append({"itemIdentifier": message_id})
    logger.info("batch of %d: %d failed", len(event.get("Records", [])), len(failures))
    return {"batchItemFailures": failures}
