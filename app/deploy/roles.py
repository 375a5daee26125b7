"""The least-privilege execution role Lambda Studio creates for a function when asked to."""

from __future__ import annotations

import json

from app.deploy.connection import Connection
from app.deploy.errors import error_code, explain, retry
from app.deploy.progress import STEP_ROLE, CancelLike, Progress, Sink, null_sink

TRUST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}
BASIC_POLICY = "arn:{partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"


def ensure_execution_role(
    conn: Connection, role_name: str, *, sink: Sink = null_sink, cancel: CancelLike | None = None
) -> tuple[str, bool]:
    """Blocks: create (or reuse) the role with only AWSLambdaBasicExecutionRole; returns (arn, created)."""
    iam = conn.client("iam")
    partition = conn.identity().partition
    created = False
    try:
        arn = retry(lambda: iam.get_role(RoleName=role_name), action="reading the role", cancel=cancel)[
            "Role"
        ]["Arn"]
        sink(Progress(STEP_ROLE, f"reusing execution role {role_name}"))
    except Exception as exc:
        if error_code(exc) != "NoSuchEntity":
            raise explain(exc, f"reading role {role_name}", conn.profile) from exc
        sink(Progress(STEP_ROLE, f"creating execution role {role_name}"))
        try:
            arn = iam.create_role(
                RoleName=role_name,
                AssumeRolePolicyDocument=json.dumps(TRUST_POLICY),
                Description="Execution role created by Lambda Studio: CloudWatch Logs only.",
                Tags=[{"Key": "created-by", "Value": "lambda-studio"}],
            )["Role"]["Arn"]
            created = True
        except Exception as exc2:
            raise explain(exc2, f"creating role {role_name}", conn.profile) from exc2
    try:
        retry(
            lambda: iam.attach_role_policy(
                RoleName=role_name, PolicyArn=BASIC_POLICY.format(partition=partition)
            ),
            action="attaching AWSLambdaBasicExecutionRole",
            cancel=cancel,
        )
    except Exception as exc:
        raise explain(exc, f"attaching AWSLambdaBasicExecutionRole to {role_name}", conn.profile) from exc
    return str(arn), created


def is_role_not_ready(exc: BaseException) -> bool:
    """Lambda's answer while a new role has not propagated through IAM yet."""
    if error_code(exc) != "InvalidParameterValueException":
        return False
    text = str(exc).lower()
    return "role" in text and ("assume" in text or "cannot be" in text)
