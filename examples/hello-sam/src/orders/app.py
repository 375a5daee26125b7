"""SQS consumer: validates each order and reports the failed ones as partial batch failures."""

import json
import logging
import os

from common import validate_order

logger = logging.getLogger()
logger.setLevel(os.environ.get("LOG_LEVEL", "INFO"))


def handler(event, context):
    failures = []
    for record in event.get("Records", []):
        try:
            order = json.loads(record["body"])
            validate_order(order)
            logger.info("processed order %s for %s", order["id"], order["customer"])
        except (ValueError, KeyError) as exc:
            logger.warning("order in message %s rejected: %s", record.get("messageId"), exc)
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}
