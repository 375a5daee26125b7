"""Property-based: random YAML text or random template-shaped data never escapes as an exception."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.project.cfn_yaml import TemplateError, parse_template_text
from app.project.loader import load_project

TAGS = [
    "!Ref",
    "!Sub",
    "!GetAtt",
    "!If",
    "!Join",
    "!Select",
    "!Split",
    "!FindInMap",
    "!Equals",
    "!Not",
    "!Foo",
]
KEYS = ["Resources", "Globals", "Function", "Properties", "Type", "Handler", "Runtime", "CodeUri", "MemorySize",
        "Timeout", "Environment", "Variables", "Layers", "Events", "Parameters", "Conditions", "Default",
        "AWS::Serverless::Function", "AWS::Lambda::Function", "AWS::Serverless::LayerVersion",
        "AWS::Serverless::Application", "Location", "Code", "InlineCode", "PackageType"]  # fmt: skip

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**12), 10**12), st.floats(allow_nan=False),
    st.sampled_from(KEYS), st.text(max_size=12),
)  # fmt: skip
trees = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=6)), children, max_size=5),
        st.builds(lambda tag, value: {"Fn::" + tag[1:] if tag not in ("!Ref",) else "Ref": value},
                  st.sampled_from(TAGS), children),
    ),
    max_leaves=30,
)  # fmt: skip

yaml_text = st.lists(
    st.one_of(
        st.sampled_from(["a:", "- ", "  ", "\n", "[", "]", "{", "}", ": ", "&x ", "*x", "!Ref ", "!Sub ",
                         "!If [", "'", '"', "#", "---", "|", ">", "Resources:", "  Fn:", "    Type: ",
                         "AWS::Serverless::Function", "Properties:", "Handler: a.b", "? ", "%", "\t", "!!"]),
        st.text(max_size=5),
    ),
    max_size=40,
).map("".join)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(yaml_text)
def test_random_text_parses_or_raises_template_error(text: str) -> None:
    try:
        parse_template_text(text)
    except TemplateError as exc:
        assert exc.problem.message


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trees)
def test_random_templates_load_without_exceptions(tree: Any) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        template = {
            "Resources": {"Fn": {"Type": "AWS::Serverless::Function", "Properties": tree}},
            "Globals": tree,
        }
        if isinstance(tree, dict):
            template.update({k: v for k, v in tree.items() if isinstance(k, str)})
        (root / "template.yaml").write_text(yaml.safe_dump(template, allow_unicode=True))
        project = load_project(root)
        for fn in project.functions:
            fn.to_json()
        for diag in project.all_diagnostics:
            assert str(diag)


@settings(max_examples=150, deadline=None)
@given(yaml_text)
def test_random_text_as_a_project_never_raises(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "template.yaml").write_text(text)
        project = load_project(tmp)
        assert project.readable or project.diagnostics
