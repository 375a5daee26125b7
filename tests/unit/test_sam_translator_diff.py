"""Differential test: our function properties equal what aws-sam-translator generates.

For each template below, the translator turns the SAM template into CloudFormation; each
resulting AWS::Lambda::Function's Handler, Runtime, MemorySize, Timeout, Environment and
Architectures must equal ours. The translator leaves intrinsics (Ref, Fn::If...) in place,
so its output is evaluated with our resolver and the same parameter values — what is
compared is how Globals, defaults and properties are combined.
"""

from __future__ import annotations

import copy
import textwrap
from pathlib import Path
from typing import Any

import boto3
import pytest

from app.project.cfn_yaml import parse_template_text
from app.project.intrinsics import Resolver, pseudo_parameters
from app.project.loader import load_project

samtranslator = pytest.importorskip("samtranslator.translator.transform")
from samtranslator.public.translator import ManagedPolicyLoader  # noqa: E402

TEMPLATES = {
    "globals-merge": """
        Transform: AWS::Serverless-2016-10-31
        Globals:
          Function:
            Runtime: python3.12
            Timeout: 20
            MemorySize: 256
            Architectures: [arm64]
            Environment:
              Variables: {SHARED: g, OVERRIDE: from-globals}
        Resources:
          First:
            Type: AWS::Serverless::Function
            Properties:
              CodeUri: src
              Handler: app.handler
              Environment:
                Variables: {OVERRIDE: from-function, OWN: "1"}
          Second:
            Type: AWS::Serverless::Function
            Properties: {CodeUri: src, Handler: app.other, Timeout: 5, Runtime: python3.11}
    """,
    "parameters-conditions": """
        Transform: AWS::Serverless-2016-10-31
        Parameters:
          Stage: {Type: String, Default: prod, AllowedValues: [dev, prod]}
          Memory: {Type: Number, Default: 1024}
        Conditions:
          IsProd: !Equals [!Ref Stage, prod]
          IsDev: !Not [!Condition IsProd]
        Mappings:
          Tuning: {prod: {Timeout: 60}, dev: {Timeout: 10}}
        Globals:
          Function:
            MemorySize: !Ref Memory
            Timeout: !FindInMap [Tuning, !Ref Stage, Timeout]
        Resources:
          Api:
            Type: AWS::Serverless::Function
            Properties:
              CodeUri: src
              Runtime: python3.12
              Handler: !If [IsProd, app.handler, app.debug_handler]
              Environment:
                Variables:
                  STAGE: !Ref Stage
                  LEVEL: !If [IsDev, DEBUG, INFO]
                  BOTH: !If [IsProd, !Ref Stage, !Ref "AWS::NoValue"]
              Events:
                Get: {Type: Api, Properties: {Path: /items, Method: get}}
    """,
    "sub-forms": """
        Transform: AWS::Serverless-2016-10-31
        Parameters:
          Prefix: {Type: String, Default: shop}
        Resources:
          Worker:
            Type: AWS::Serverless::Function
            Properties:
              CodeUri: src
              Runtime: python3.13
              Handler: app.handler
              Environment:
                Variables:
                  TABLE: !Sub "${Prefix}-${AWS::Region}-table"
                  URL: !Sub ["https://${Host}/${Prefix}", {Host: !Join [".", [api, !Ref Prefix, example, com]]}]
                  LITERAL: !Sub "${!NotAVariable}"
                  ACCOUNT: !Sub "${AWS::AccountId}:${AWS::Partition}"
              Events:
                Queue: {Type: SQS, Properties: {Queue: arn:aws:sqs:us-east-1:123456789012:q}}
                Nightly: {Type: Schedule, Properties: {Schedule: rate(1 day)}}
    """,
    "layers-and-events": """
        Transform: AWS::Serverless-2016-10-31
        Globals:
          Function:
            Runtime: python3.12
            Layers: [!Ref SharedLayer]
            Environment:
              Variables: {FROM_GLOBALS: "yes"}
        Resources:
          SharedLayer:
            Type: AWS::Serverless::LayerVersion
            Properties: {ContentUri: layer, CompatibleRuntimes: [python3.12]}
          Bucket:
            Type: AWS::S3::Bucket
          Table:
            Type: AWS::DynamoDB::Table
            Properties:
              AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
              KeySchema: [{AttributeName: id, KeyType: HASH}]
              BillingMode: PAY_PER_REQUEST
              StreamSpecification: {StreamViewType: NEW_AND_OLD_IMAGES}
          Topic:
            Type: AWS::SNS::Topic
          OnUpload:
            Type: AWS::Serverless::Function
            Properties:
              CodeUri: src
              Handler: app.handler
              MemorySize: 2048
              Architectures: [x86_64]
              Layers: ["arn:aws:lambda:us-east-1:123456789012:layer:extra:2"]
              Events:
                Upload: {Type: S3, Properties: {Bucket: !Ref Bucket, Events: s3:ObjectCreated:*}}
                Notify: {Type: SNS, Properties: {Topic: !Ref Topic}}
          OnChange:
            Type: AWS::Serverless::Function
            Properties:
              CodeUri: src
              Handler: app.handler
              Timeout: 900
              Events:
                Stream:
                  Type: DynamoDB
                  Properties: {Stream: !GetAtt Table.StreamArn, StartingPosition: LATEST}
                Http: {Type: HttpApi, Properties: {Path: /x, Method: post}}
    """,
    "plain-lambda-and-defaults": """
        Transform: AWS::Serverless-2016-10-31
        Globals:
          Function:
            Timeout: 15
        Resources:
          Defaults:
            Type: AWS::Serverless::Function
            Properties: {CodeUri: src, Handler: app.handler, Runtime: python3.12}
          Bare:
            Type: AWS::Lambda::Function
            Properties:
              Code: {S3Bucket: b, S3Key: k}
              Handler: index.handler
              Runtime: python3.11
              Role: arn:aws:iam::123456789012:role/r
              Environment: {Variables: {N: 5, B: true}}
    """,
}

COMPARED = ("Handler", "Runtime", "MemorySize", "Timeout", "Environment", "Architectures")


def _to_s3(value: Any) -> Any:
    """The translator needs S3 code locations; local paths are swapped for a fake S3 URI."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key in ("CodeUri", "ContentUri") and isinstance(item, str) and not item.startswith("s3://"):
                out[key] = "s3://code-bucket/code.zip"
            else:
                out[key] = _to_s3(item)
        return out
    if isinstance(value, list):
        return [_to_s3(v) for v in value]
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_translator_agrees(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")  # the translator builds ARNs with it
    text = textwrap.dedent(TEMPLATES[name])
    (tmp_path / "template.yaml").write_text(text)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text(
        "def handler(e, c): pass\ndef other(e, c): pass\ndef debug_handler(e, c): pass\n"
    )
    (tmp_path / "layer" / "python").mkdir(parents=True)
    project = load_project(tmp_path, region="us-east-1")
    ours = {f.logical_id: f for f in project.functions}

    data, _ = parse_template_text(text)
    params = dict(project.parameters)
    iam = boto3.client("iam", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    output = samtranslator.transform(
        _to_s3(_plain(copy.deepcopy(data))), dict(params), ManagedPolicyLoader(iam)
    )
    resolver = Resolver(
        parameters=params,
        pseudo=pseudo_parameters("us-east-1", tmp_path.name),
        resources=output["Resources"],
        mappings=data.get("Mappings", {}),
        conditions=data.get("Conditions", {}),
    )
    theirs = {k: v for k, v in output["Resources"].items() if v["Type"] == "AWS::Lambda::Function"}
    assert set(theirs) == set(ours)
    for logical_id, resource in theirs.items():
        props = resolver.resolve({k: v for k, v in resource["Properties"].items() if k in COMPARED})
        expected = {
            "Handler": props.get("Handler"),
            "Runtime": props.get("Runtime"),
            "MemorySize": int(props.get("MemorySize", 128)),
            "Timeout": int(props.get("Timeout", 3)),
            "Environment": {k: str(v).lower() if isinstance(v, bool) else str(v)
                            for k, v in props.get("Environment", {}).get("Variables", {}).items()},
            "Architectures": props.get("Architectures", ["x86_64"]),
        }  # fmt: skip
        fn = ours[logical_id]
        actual = {
            "Handler": fn.handler,
            "Runtime": fn.runtime,
            "MemorySize": fn.memory_size,
            "Timeout": fn.timeout,
            "Environment": fn.environment,
            "Architectures": fn.architectures,
        }
        assert actual == expected, f"{name}/{logical_id}"
        assert fn.diagnostics == [], fn.diagnostics
