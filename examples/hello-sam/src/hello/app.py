"""HTTP API handler: GET /hello/{name} answers with a greeting."""

import os
import time

import humanize
from common import json_response

STARTED = time.time()


def lambda_handler(event, context):
    name = (event.get("pathParameters") or {}).get("name") or "world"
    greeting = os.environ.get("GREETING", "Hello")
    print(f"greeting {name!r} in stage {os.environ.get('STAGE')}")
    warm_for = humanize.naturaldelta(time.time() - STARTED)
    return json_response(
        200,
        {
            "message": f"{greeting}, {name}!",
            "request_id": context.aws_request_id,
            "warm_for": warm_for,
        },
    )
