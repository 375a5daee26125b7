"""Intrinsic functions evaluated locally, and the ones that cannot be."""

from __future__ import annotations

import base64

import pytest

from app.project.intrinsics import Resolver, Unresolvable, pseudo_parameters


@pytest.fixture
def resolver() -> Resolver:
    return Resolver(
        parameters={"Stage": "prod", "Size": "512", "Subnets": ["s-1", "s-2", "s-3"]},
        pseudo=pseudo_parameters("eu-west-1", "my-stack"),
        resources={"Queue": {"Type": "AWS::SQS::Queue"}},
        mappings={"Sizes": {"prod": {"Memory": 1024}, "dev": {"Memory": 256}}},
        conditions={
            "IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]},
            "IsDev": {"Fn::Not": [{"Condition": "IsProd"}]},
            "Both": {"Fn::And": [{"Condition": "IsProd"}, {"Fn::Equals": ["a", "a"]}]},
            "Either": {"Fn::Or": [{"Condition": "IsDev"}, {"Condition": "IsProd"}]},
            "Loop": {"Condition": "Loop"},
        },
    )


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ({"Ref": "Stage"}, "prod"),
        ({"Ref": "AWS::Region"}, "eu-west-1"),
        ({"Ref": "AWS::AccountId"}, "123456789012"),
        ({"Ref": "AWS::StackName"}, "my-stack"),
        ({"Ref": "AWS::Partition"}, "aws"),
        ({"Ref": "AWS::URLSuffix"}, "amazonaws.com"),
        ({"Ref": "Queue"}, "Queue"),
        ({"Fn::Sub": "${AWS::StackName}-${Stage}"}, "my-stack-prod"),
        ({"Fn::Sub": "${!NotAVar}-${Stage}"}, "${NotAVar}-prod"),
        ({"Fn::Sub": ["${A}/${Stage}", {"A": {"Ref": "AWS::Region"}}]}, "eu-west-1/prod"),
        ({"Fn::If": ["IsProd", "big", "small"]}, "big"),
        ({"Fn::If": ["IsDev", "big", "small"]}, "small"),
        ({"Fn::If": ["Both", 1, 2]}, 1),
        ({"Fn::If": ["Either", 1, 2]}, 1),
        ({"Fn::Join": ["-", ["a", {"Ref": "Stage"}, 3]]}, "a-prod-3"),
        ({"Fn::Select": [1, {"Ref": "Subnets"}]}, "s-2"),
        ({"Fn::Select": ["0", {"Fn::Split": [",", "x,y"]}]}, "x"),
        ({"Fn::FindInMap": ["Sizes", {"Ref": "Stage"}, "Memory"]}, 1024),
        ({"Fn::FindInMap": ["Sizes", "qa", "Memory", {"DefaultValue": 64}]}, 64),
        ({"Fn::Base64": "hi"}, base64.b64encode(b"hi").decode()),
        ({"Fn::GetAZs": ""}, ["eu-west-1a", "eu-west-1b", "eu-west-1c"]),
        ({"Fn::Cidr": ["10.0.0.0/16", 3, 8]}, ["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24"]),
        ({"Fn::ToJsonString": {"a": [1]}}, '{"a":[1]}'),
        ({"Fn::Length": [1, 2, 3]}, 3),
        ({"Fn::Equals": [{"Ref": "Size"}, "512"]}, True),
        ({"k": {"Fn::If": ["IsDev", "x", {"Ref": "AWS::NoValue"}]}}, {}),
        ([{"Ref": "AWS::NoValue"}, "kept"], ["kept"]),
    ],
)
def test_resolves(resolver: Resolver, expr: object, expected: object) -> None:
    assert resolver.resolve(expr) == expected


@pytest.mark.parametrize(
    ("expr", "reason"),
    [
        ({"Ref": "Nope"}, "no parameter or resource"),
        ({"Fn::Sub": "${Nope}"}, "Nope"),
        ({"Fn::GetAtt": ["Queue", "Arn"]}, "only known after deployment"),
        ({"Fn::Sub": "${Queue.Arn}"}, "only known after deployment"),
        ({"Fn::GetAtt": ["Ghost", "Arn"]}, "no resource"),
        ({"Fn::ImportValue": "x"}, "another stack"),
        ({"Fn::If": ["Unknown", 1, 2]}, "unknown condition"),
        ({"Fn::If": ["Loop", 1, 2]}, "refers to itself"),
        ({"Fn::FindInMap": ["Sizes", "qa", "Memory"]}, "no such entry"),
        ({"Fn::Select": [9, ["a"]]}, "outside"),
        ({"Fn::Transform": {"Name": "X"}}, "cannot be evaluated"),
    ],
)
def test_unresolvable_has_a_reason(resolver: Resolver, expr: object, reason: str) -> None:
    with pytest.raises(Unresolvable, match=reason):
        resolver.resolve(expr)


def test_partitions() -> None:
    assert pseudo_parameters("cn-north-1", "s")["AWS::Partition"] == "aws-cn"
    assert pseudo_parameters("cn-north-1", "s")["AWS::URLSuffix"] == "amazonaws.com.cn"
    assert pseudo_parameters("us-gov-west-1", "s")["AWS::Partition"] == "aws-us-gov"
