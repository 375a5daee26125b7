"""EventBridge event patterns: a corpus after AWS's documented matching rules, matched and not matched."""

from __future__ import annotations

import pytest

from runner.triggers.patterns import PatternError, matches, parse_pattern

EVENT = {
    "version": "0",
    "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
    "detail-type": "EC2 Instance State-change Notification",
    "source": "aws.ec2",
    "account": "111122223333",
    "time": "2017-12-22T18:43:48Z",
    "region": "us-west-1",
    "resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
    "detail": {
        "instance-id": "i-1234567890abcdef0",
        "state": "terminated",
        "c-count": 5,
        "d-count": 3,
        "source-ip": "10.0.0.123",
        "location": None,
        "file": "Photos/Cat.PNG",
        "bus": "arn:aws:events:us-east-1:123456789012:event-bus/orders",
        "tags": ["blue", "prod"],
        "nested": {"level": 2, "flags": []},
    },
}

# (name, pattern, matches EVENT?)
CORPUS = [
    ("exact source", {"source": ["aws.ec2"]}, True),
    ("exact source, other value", {"source": ["aws.s3"]}, False),
    ("one of several values", {"source": ["aws.s3", "aws.ec2"]}, True),
    ("nested exact", {"detail": {"state": ["terminated"]}}, True),
    ("nested exact, other", {"detail": {"state": ["running"]}}, False),
    ("all fields must match", {"source": ["aws.ec2"], "detail": {"state": ["running"]}}, False),
    ("array field: any element", {"detail": {"tags": ["prod"]}}, True),
    ("array field: no element", {"detail": {"tags": ["dev"]}}, False),
    (
        "array event field vs list",
        {"resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"]},
        True,
    ),
    ("null matches null", {"detail": {"location": [None]}}, True),
    ("null does not match a value", {"detail": {"state": [None]}}, False),
    ("empty string is not null", {"detail": {"location": [""]}}, False),
    ("prefix", {"time": [{"prefix": "2017-12-22"}]}, True),
    ("prefix, no", {"time": [{"prefix": "2018"}]}, False),
    ("prefix ignoring case", {"detail": {"file": [{"prefix": {"equals-ignore-case": "photos/"}}]}}, True),
    ("suffix", {"detail": {"file": [{"suffix": ".PNG"}]}}, True),
    ("suffix is case sensitive", {"detail": {"file": [{"suffix": ".png"}]}}, False),
    ("suffix ignoring case", {"detail": {"file": [{"suffix": {"equals-ignore-case": ".png"}}]}}, True),
    ("equals-ignore-case", {"detail": {"state": [{"equals-ignore-case": "TERMINATED"}]}}, True),
    ("anything-but one", {"detail": {"state": [{"anything-but": "running"}]}}, True),
    ("anything-but one, same", {"detail": {"state": [{"anything-but": "terminated"}]}}, False),
    ("anything-but list", {"detail": {"state": [{"anything-but": ["stopped", "terminated"]}]}}, False),
    ("anything-but number", {"detail": {"c-count": [{"anything-but": [1, 2, 3]}]}}, True),
    ("anything-but prefix", {"detail": {"state": [{"anything-but": {"prefix": "term"}}]}}, False),
    ("anything-but prefix, other", {"detail": {"state": [{"anything-but": {"prefix": "run"}}]}}, True),
    ("anything-but suffix", {"detail": {"file": [{"anything-but": {"suffix": ".jpg"}}]}}, True),
    (
        "anything-but ignoring case",
        {"detail": {"state": [{"anything-but": {"equals-ignore-case": ["Terminated"]}}]}},
        False,
    ),
    ("anything-but needs the field", {"detail": {"missing": [{"anything-but": "x"}]}}, False),
    ("numeric range", {"detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}]}}, True),
    ("numeric range, outside", {"detail": {"c-count": [{"numeric": [">", 5]}]}}, False),
    ("numeric equal", {"detail": {"d-count": [{"numeric": ["=", 3]}]}}, True),
    ("numeric on a string", {"detail": {"state": [{"numeric": [">", 0]}]}}, False),
    ("exact number equals float", {"detail": {"d-count": [3.0]}}, True),
    ("exists true", {"detail": {"state": [{"exists": True}]}}, True),
    ("exists true, missing", {"detail": {"missing": [{"exists": True}]}}, False),
    ("exists false, missing", {"detail": {"missing": [{"exists": False}]}}, True),
    ("exists false, present", {"detail": {"state": [{"exists": False}]}}, False),
    ("exists false on a missing object", {"other": {"x": [{"exists": False}]}}, True),
    ("nested pattern on a missing object", {"other": {"x": ["y"]}}, False),
    ("cidr", {"detail": {"source-ip": [{"cidr": "10.0.0.0/24"}]}}, True),
    ("cidr, outside", {"detail": {"source-ip": [{"cidr": "10.0.1.0/24"}]}}, False),
    ("wildcard", {"detail": {"bus": [{"wildcard": "arn:aws:events:us-east-1:*:event-bus/*"}]}}, True),
    ("wildcard, no", {"detail": {"bus": [{"wildcard": "arn:aws:events:eu-*:event-bus/*"}]}}, False),
    ("wildcard escaped star", {"detail": {"state": [{"wildcard": "term\\*"}]}}, False),
    ("deeper nesting", {"detail": {"nested": {"level": [{"numeric": [">=", 2]}]}}}, True),
    (
        "$or: one branch",
        {"$or": [{"source": ["aws.s3"]}, {"detail": {"c-count": [{"numeric": ["<", 10]}]}}]},
        True,
    ),
    (
        "$or: no branch",
        {"$or": [{"source": ["aws.s3"]}, {"detail": {"c-count": [{"numeric": [">", 10]}]}}]},
        False,
    ),
    (
        "$or nested with other fields",
        {"source": ["aws.ec2"], "detail": {"$or": [{"state": ["running"]}, {"d-count": [3]}]}},
        True,
    ),
    ("several matchers: any", {"detail": {"state": [{"prefix": "run"}, {"suffix": "nated"}]}}, True),
]


@pytest.mark.parametrize(("name", "pattern", "expected"), CORPUS, ids=[c[0] for c in CORPUS])
def test_corpus(name: str, pattern: dict, expected: bool) -> None:  # type: ignore[type-arg]
    assert matches(parse_pattern(pattern), EVENT) is expected


def test_corpus_has_both_outcomes_for_every_matcher() -> None:
    import json

    for kind in ("prefix", "suffix", "anything-but", "numeric", "exists", "wildcard", "$or", "cidr"):
        outcomes = {expected for _, pattern, expected in CORPUS if kind in json.dumps(pattern)}
        assert outcomes == {True, False}, kind


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ('{"source": ', "not valid JSON"),
        ("[1]", "must be a JSON object"),
        ({"source": "aws.ec2"}, "list of matchers"),
        ({"source": []}, "empty list"),
        ({"n": [{"numeric": [">>", 1]}]}, "numeric takes"),
        ({"n": [{"exists": "yes"}]}, "exists takes true or false"),
        ({"n": [{"sometimes": 1}]}, "unknown matcher"),
        ({"$or": [{"a": ["b"]}]}, "at least two"),
        ({"ip": [{"cidr": "10.0.0.0/99"}]}, "not a CIDR"),
    ],
)
def test_invalid_patterns_say_what_is_wrong(pattern: object, message: str) -> None:
    with pytest.raises(PatternError, match=message):
        parse_pattern(pattern)  # type: ignore[arg-type]
