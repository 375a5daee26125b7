"""Which event template matches a function's own trigger (SAM event type → catalog service and type)."""

from __future__ import annotations

from app.project.model import FunctionSpec

# SAM `Events` types → the catalog's (service, type) of the event Lambda receives.
SAM_TRIGGER_TEMPLATES: dict[str, tuple[str, str]] = {
    "Api": ("apigateway", "aws-proxy"),
    "HttpApi": ("apigateway", "http-api-proxy"),
    "SQS": ("sqs", "receive-message"),
    "SNS": ("sns", "notification"),
    "S3": ("s3", "put"),
    "DynamoDB": ("dynamodb", "insert"),
    "Kinesis": ("kinesis", "get-records"),
    "Schedule": ("cloudwatch", "scheduled-event"),
    "ScheduleV2": ("cloudwatch", "scheduled-event"),
    "CloudWatchEvent": ("eventbridge", "custom"),
    "EventBridgeRule": ("eventbridge", "custom"),
    "CloudWatchLogs": ("cloudwatch", "logs"),
    "IoTRule": ("iot", "rule"),
    "AlexaSkill": ("alexa-skills-kit", "start-session"),
    "Cognito": ("cognito", "pre-sign-up"),
    "MSK": ("kafka", "msk"),
    "SelfManagedKafka": ("kafka", "self-managed"),
    "MQ": ("mq", "activemq"),
}


def trigger_template(spec: FunctionSpec | None) -> tuple[str, str] | None:
    """The (service, type) of the first trigger of the function that the catalog knows; None without one."""
    if spec is None:
        return None
    for source in spec.events:
        found = SAM_TRIGGER_TEMPLATES.get(source.type)
        if found is not None:
            return found
    return None
