"""Every template whose event has a Powertools parser model validates against it; the rest are listed."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from app.events.catalog import EventTemplate, shipped_catalog

models = pytest.importorskip("aws_lambda_powertools.utilities.parser.models")
from pydantic import ValidationError  # noqa: E402  (pydantic comes with powertools' parser)

CATALOG = shipped_catalog()

MODEL_FOR: dict[str, str] = {
    "alb request": "AlbModel",
    "apigateway aws-proxy": "APIGatewayProxyEventModel",
    "apigateway http-api-proxy": "APIGatewayProxyEventV2Model",
    "apigateway authorizer": "ApiGatewayAuthorizerToken",
    "apigateway request-authorizer": "ApiGatewayAuthorizerRequest",
    "apigateway http-api-authorizer": "ApiGatewayAuthorizerRequestV2",
    "apigateway websocket-connect": "APIGatewayWebSocketConnectEventModel",
    "apigateway websocket-message": "APIGatewayWebSocketMessageEventModel",
    "apigateway websocket-disconnect": "APIGatewayWebSocketDisconnectEventModel",
    "appsync resolver": "AppSyncResolverEventModel",
    "batch job-state-change": "EventBridgeModel",
    "cloudformation create-request": "CloudFormationCustomResourceCreateModel",
    "cloudformation update-request": "CloudFormationCustomResourceUpdateModel",
    "cloudformation delete-request": "CloudFormationCustomResourceDeleteModel",
    "cloudwatch logs": "CloudWatchLogsModel",
    "cloudwatch scheduled-event": "EventBridgeModel",
    "cognito pre-sign-up": "CognitoPreSignupTriggerModel",
    "cognito post-confirmation": "CognitoPostConfirmationTriggerModel",
    "cognito pre-token-generation": "CognitoPreTokenGenerationTriggerModelV2AndV3",
    "cognito custom-message": "CognitoCustomMessageTriggerModel",
    "dynamodb insert": "DynamoDBStreamModel",
    "dynamodb modify": "DynamoDBStreamModel",
    "dynamodb remove": "DynamoDBStreamModel",
    "dynamodb update": "DynamoDBStreamModel",
    "eventbridge custom": "EventBridgeModel",
    "kafka msk": "KafkaMskEventModel",
    "kafka self-managed": "KafkaSelfManagedEventModel",
    "kinesis get-records": "KinesisDataStreamModel",
    "kinesis firehose-transform": "KinesisFirehoseModel",
    "kinesis firehose-kinesis-source": "KinesisFirehoseModel",
    "lambda function-url": "LambdaFunctionUrlModel",
    "rekognition video-job-complete": "SnsModel",
    "s3 put": "S3Model",
    "s3 delete": "S3Model",
    "s3 eventbridge-object-created": "S3EventNotificationEventBridgeModel",
    "s3 batch-invocation": "S3BatchOperationModel",
    "s3 batch-invocation-v1": "S3BatchOperationModel",
    "s3 object-lambda": "S3ObjectLambdaEvent",
    "ses email-receiving": "SesModel",
    "sns notification": "SnsModel",
    "sqs receive-message": "SqsModel",
    "sqs fifo": "SqsModel",
    "vpc-lattice request": "VpcLatticeModel",
    "vpc-lattice request-v2": "VpcLatticeV2Model",
}

# Where the AWS documentation and the Powertools model disagree, the template follows AWS.
# Each entry: the field path the model rejects, and why. The test checks that this is the *only*
# field it rejects (the event validates once that field is removed).
KNOWN_DISAGREEMENTS: dict[str, tuple[tuple[str, ...], str]] = {
    "cognito pre-token-generation": (
        ("request", "scopes"),
        "AWS documents request.scopes as a list of strings; Powertools 3.x models it as a dict",
    ),
}

# Templates for which Powertools has no model (checked to be exactly this list, so it stays visible).
WITHOUT_MODEL = [
    "alb request-multi-value",  # AlbModel requires single-value headers/queryStringParameters
    "alexa-skills-kit end-session",
    "alexa-skills-kit intent",
    "alexa-skills-kit start-session",
    "alexa-smart-home control",
    "alexa-smart-home discovery",
    "alexa-smart-home report-state",
    "appsync authorizer",
    "cloudfront origin-request",
    "cloudfront origin-response",
    "cloudfront viewer-request",
    "cloudfront viewer-response",
    "cloudwatch alarm",
    "codecommit repository",
    "codepipeline job",
    "cognito sync-trigger",
    "config item-change-notification",
    "config oversized-item-change-notification",
    "config periodic-rule",
    "connect contact-flow",
    "iot rule",
    "kinesis analytics",
    "lex book-hotel",
    "lex make-appointment",
    "lex order-flowers",
    "lex-v2 fulfillment",
    "mq activemq",
    "mq rabbitmq",
    "sagemaker ground-truth-annotation-consolidation",
    "sagemaker ground-truth-pre-human",
    "secretsmanager rotation",
    "stepfunctions error",
    "stepfunctions task",
    "workmail customize-mail-flow",
]

WITH_MODEL = [t for t in CATALOG if t.key in MODEL_FOR]


def test_every_template_is_either_mapped_or_listed_without_model() -> None:
    keys = {t.key for t in CATALOG}
    assert set(MODEL_FOR) <= keys, set(MODEL_FOR) - keys
    without = sorted(keys - set(MODEL_FOR))
    print(f"\n{len(without)} of {len(keys)} templates have no Powertools model:\n  " + "\n  ".join(without))
    assert without == sorted(WITHOUT_MODEL)


def _model(name: str) -> Any:
    return getattr(models, name)


@pytest.mark.parametrize("template", WITH_MODEL, ids=[t.key.replace(" ", ":") for t in WITH_MODEL])
def test_template_validates_against_its_model(template: EventTemplate) -> None:
    model = _model(MODEL_FOR[template.key])
    event = template.render()
    if template.key not in KNOWN_DISAGREEMENTS:
        model.model_validate(event)
        return
    path, _why = KNOWN_DISAGREEMENTS[template.key]
    with pytest.raises(ValidationError) as info:
        model.model_validate(event)
    assert {tuple(str(p) for p in e["loc"]) for e in info.value.errors()} == {path}
    trimmed = copy.deepcopy(event)
    parent = trimmed
    for part in path[:-1]:
        parent = parent[part]
    del parent[path[-1]]
    model.model_validate(trimmed)


@pytest.mark.parametrize("template", WITH_MODEL, ids=[t.key.replace(" ", ":") for t in WITH_MODEL])
def test_overridden_template_still_validates(template: EventTemplate) -> None:
    overrides = {"region": "eu-central-1", "account": "210987654321"}
    overrides = {k: v for k, v in overrides.items() if template.parameter(k) is not None}
    event = template.render(overrides)
    if template.key in KNOWN_DISAGREEMENTS:
        path, _ = KNOWN_DISAGREEMENTS[template.key]
        parent = event
        for part in path[:-1]:
            parent = parent[part]
        del parent[path[-1]]
    _model(MODEL_FOR[template.key]).model_validate(event)


def test_parsed_models_see_our_values() -> None:
    sqs = _model("SqsModel").model_validate(CATALOG.get("sqs", "fifo").render({"group_id": "g-1"}))
    assert sqs.Records[0].attributes.MessageGroupId == "g-1"
    kafka = _model("KafkaMskEventModel").model_validate(CATALOG.get("kafka", "msk").render({"value": "v1"}))
    record = next(iter(kafka.records.values()))[0]
    assert record.value == "v1"  # powertools decodes the base64 value
    logs = _model("CloudWatchLogsModel").model_validate(
        CATALOG.get("cloudwatch", "logs").render({"message": "m"})
    )
    assert logs.awslogs.decoded_data.logEvents[0].message == "m"
