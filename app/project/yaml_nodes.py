"""What a parsed template is made of: positioned mappings and lists, and CloudFormation's short-form tags.

Shared by the two YAML readers (app/project/cfn_yaml.py and its libyaml fast path,
app/project/yaml_events.py) so neither imports the other back.
"""

from __future__ import annotations

from typing import Any

# Short-form tags and the long form each becomes.
FN_TAGS = {
    "Ref": "Ref",
    "Condition": "Condition",
    "GetAtt": "Fn::GetAtt",
    "Sub": "Fn::Sub",
    "Join": "Fn::Join",
    "If": "Fn::If",
    "Select": "Fn::Select",
    "Split": "Fn::Split",
    "FindInMap": "Fn::FindInMap",
    "ImportValue": "Fn::ImportValue",
    "Base64": "Fn::Base64",
    "Cidr": "Fn::Cidr",
    "GetAZs": "Fn::GetAZs",
    "Equals": "Fn::Equals",
    "And": "Fn::And",
    "Or": "Fn::Or",
    "Not": "Fn::Not",
    "Transform": "Fn::Transform",
    "ToJsonString": "Fn::ToJsonString",
    "Length": "Fn::Length",
}


class PosDict(dict):
    """A mapping that remembers where it and each of its keys stand in the file (1-based)."""

    line: int | None = None
    column: int | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.key_pos: dict[Any, tuple[int, int]] = {}
        self.value_pos: dict[Any, tuple[int, int]] = {}


class PosList(list):
    """A sequence that remembers where it stands in the file (1-based)."""

    line: int | None = None
    column: int | None = None
