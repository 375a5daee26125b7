"""Template parsing: CloudFormation tags, positions, and every kind of bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.project.cfn_yaml import (
    MAX_TEMPLATE_BYTES,
    TemplateError,
    load_template_file,
    parse_template_text,
    position,
    value_position,
)

SHORT_FORMS = {
    "!Ref X": {"Ref": "X"},
    "!Sub 'a-${X}'": {"Fn::Sub": "a-${X}"},
    "!GetAtt Res.Arn": {"Fn::GetAtt": ["Res", "Arn"]},
    "!GetAtt [Res, Arn]": {"Fn::GetAtt": ["Res", "Arn"]},
    "!Join [',', [a, b]]": {"Fn::Join": [",", ["a", "b"]]},
    "!If [C, a, b]": {"Fn::If": ["C", "a", "b"]},
    "!Select [0, [a]]": {"Fn::Select": [0, ["a"]]},
    "!Split [',', 'a,b']": {"Fn::Split": [",", "a,b"]},
    "!FindInMap [M, K, V]": {"Fn::FindInMap": ["M", "K", "V"]},
    "!ImportValue shared-vpc": {"Fn::ImportValue": "shared-vpc"},
    "!Base64 text": {"Fn::Base64": "text"},
    "!Cidr ['10.0.0.0/16', 2, 8]": {"Fn::Cidr": ["10.0.0.0/16", 2, 8]},
    "!GetAZs ''": {"Fn::GetAZs": ""},
    "!Equals [a, b]": {"Fn::Equals": ["a", "b"]},
    "!And [!Condition A, !Condition B]": {"Fn::And": [{"Condition": "A"}, {"Condition": "B"}]},
    "!Or [!Condition A, !Condition B]": {"Fn::Or": [{"Condition": "A"}, {"Condition": "B"}]},
    "!Not [!Condition A]": {"Fn::Not": [{"Condition": "A"}]},
    "!Condition A": {"Condition": "A"},
    "!Transform {Name: AWS::Include, Parameters: {Location: x}}": {
        "Fn::Transform": {"Name": "AWS::Include", "Parameters": {"Location": "x"}}
    },
}


@pytest.mark.parametrize(("text", "expected"), SHORT_FORMS.items(), ids=list(SHORT_FORMS))
def test_short_form_tags_become_long_forms(text: str, expected: object) -> None:
    data, warnings = parse_template_text(f"value: {text}\n")
    assert data["value"] == expected
    assert warnings == []


def test_long_forms_are_read_as_written() -> None:
    data, _ = parse_template_text("a:\n  Fn::Sub: x-${AWS::Region}\nb: {Ref: P}\n")
    assert data == {"a": {"Fn::Sub": "x-${AWS::Region}"}, "b": {"Ref": "P"}}


def test_positions_are_one_based_for_keys_and_values() -> None:
    data, _ = parse_template_text(
        "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      MemorySize: 5\n"
    )
    assert position(data["Resources"], "Fn") == (2, 3)
    props = data["Resources"]["Fn"]["Properties"]
    assert position(props, "MemorySize") == (5, 7)
    assert value_position(props, "MemorySize") == (5, 19)


def test_unknown_tag_is_a_warning_with_position() -> None:
    data, warnings = parse_template_text("a: 1\nb: !Frobnicate x\n")
    assert data["b"] == "x"
    assert [(w.code, w.line, w.column) for w in warnings] == [("unknown-tag", 2, 4)]
    assert "!Frobnicate" in warnings[0].message


@pytest.mark.parametrize(
    ("text", "code", "line"),
    [
        ("a: [1, 2\nb: 3\n", "yaml-syntax", 2),
        ("a: b: c\n", "yaml-syntax", 1),
        ("a: &x [1, *x]\n", "yaml-syntax", 1),
        ("a: &x {b: *x}\n", "yaml-syntax", 1),
        ('{"Resources": {"A": }}', "json-syntax", 1),
        ('{\n  "a": 1,\n}', "json-syntax", 3),
        ("? [a, b]\n: c\n", "yaml-syntax", 1),
        ("a: !!python/object:os.system x\n", "yaml-syntax", 1),
    ],
)
def test_bad_input_raises_template_error_with_position(text: str, code: str, line: int) -> None:
    with pytest.raises(TemplateError) as info:
        parse_template_text(text)
    assert info.value.problem.code == code
    assert info.value.problem.line == line
    assert info.value.problem.column is not None


def test_recursive_anchor_message_names_the_anchor() -> None:
    with pytest.raises(TemplateError, match="recursive anchor &loop"):
        parse_template_text("a: &loop\n  b: *loop\n")


def test_alias_bomb_is_refused() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 12):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    with pytest.raises(TemplateError, match="aliases"):
        parse_template_text("\n".join(lines))


def test_plain_aliases_still_work() -> None:
    data, _ = parse_template_text("base: &b {Timeout: 5}\nfn: *b\n")
    assert data["fn"] == {"Timeout": 5}


def test_huge_template_is_refused_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "template.yaml"
    with big.open("wb") as f:
        f.truncate(50 * 1024 * 1024)
    assert big.stat().st_size > MAX_TEMPLATE_BYTES
    with pytest.raises(TemplateError) as info:
        load_template_file(big)
    assert info.value.problem.code == "template-too-large"
    assert "50.0 MB" in info.value.problem.message


def test_non_utf8_template(tmp_path: Path) -> None:
    bad = tmp_path / "template.yaml"
    bad.write_bytes(b"a: \xff\xfe\n")
    with pytest.raises(TemplateError) as info:
        load_template_file(bad)
    assert info.value.problem.code == "template-encoding"


def test_json_template_keeps_positions(tmp_path: Path) -> None:
    path = tmp_path / "template.json"
    path.write_text('{\n  "Resources": {\n    "Fn": {"Type": "AWS::Lambda::Function"}\n  }\n}\n')
    data, _ = load_template_file(path)
    assert position(data["Resources"], "Fn") == (3, 5)
