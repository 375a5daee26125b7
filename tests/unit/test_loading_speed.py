"""Loading scales: a module shared by many handlers is parsed once; large templates go through libyaml."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.project import cfn_yaml, validate, yaml_nodes
from app.project.loader import ProjectLoadError, load_project
from bench.loading import big_template_project, shared_module_project


def test_a_module_shared_by_many_functions_is_parsed_once(tmp_path: Path) -> None:
    project = shared_module_project(tmp_path / "p", functions=300)
    before = validate.module_parse_count()
    loaded = load_project(project)
    assert len(loaded.functions) == 300 and loaded.all_diagnostics == []
    assert validate.module_parse_count() - before == 1


def test_an_edited_module_is_parsed_again(tmp_path: Path) -> None:
    project = shared_module_project(tmp_path / "p", functions=3)
    module = project / "src" / "app.py"
    load_project(project)
    module.write_text(module.read_text().replace("def handler_1(", "def renamed("))
    os.utime(module, ns=(module.stat().st_mtime_ns + 10**9,) * 2)  # a later mtime, whatever the clock
    before = validate.module_parse_count()
    diags = load_project(project).all_diagnostics
    assert validate.module_parse_count() - before == 1
    assert [d.code for d in diags] == ["handler-not-found"] and "handler_1" in diags[0].message


def test_large_templates_are_read_by_libyaml_with_the_same_result(tmp_path: Path) -> None:
    project = big_template_project(tmp_path / "p", target_bytes=200_000)
    text = (project / "template.yaml").read_text()
    fast = cfn_yaml._parse_fast(text)
    assert fast is not None  # libyaml took it: no fallback to the pure-Python loader
    slow_loader = cfn_yaml._Loader(text)
    slow = slow_loader.get_single_data()
    slow_loader.dispose()
    data = fast[0]
    assert data == slow and fast[1] == slow_loader.unknown_tags
    for fn in list(data["Resources"])[:50]:
        assert cfn_yaml.position(data["Resources"], fn) == cfn_yaml.position(slow["Resources"], fn)
        props, slow_props = data["Resources"][fn]["Properties"], slow["Resources"][fn]["Properties"]
        for key in props:
            assert cfn_yaml.value_position(props, key) == cfn_yaml.value_position(slow_props, key)


@pytest.mark.parametrize(
    "text",
    [
        "a: &loop [1, *loop]\n",
        "\n".join(f"k{i}: &a{i} [*a{i - 1}]" if i else "k0: &a0 [1]" for i in range(1002)),
    ],
)
def test_anchor_guards_hold_on_the_fast_path(text: str) -> None:
    assert cfn_yaml._parse_fast(text) is None  # handed to the guarded loader, which explains the refusal
    with pytest.raises(cfn_yaml.TemplateError, match="recursive anchor &loop|more than 1000 aliases"):
        cfn_yaml.parse_template_text(text)


TRICKY = [
    "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties: {Handler: a.b, MemorySize: 128}\n",
    "a: !Ref X\nb: !GetAtt Fn.Arn\nc: !GetAtt [Fn, Arn]\nd: !Sub ['${x}', {x: !Ref Y}]\ne: !Nope [1]\n",
    "base: &b {x: 1, y: [1, 2]}\nuse: *b\nlist: [*b, *b]\nk: &s scalar\nv: *s\n",
    "n: null\nt: true\nf: 1.5\ni: 0x1F\no: 017\nd: 2024-01-02\nts: 2024-01-02T03:04:05Z\ns: '123'\ne: ~\n",
    "dup: 1\ndup: 2\n'quoted key': \"v\"\n? explicit\n: value\n",
    "- a\n- [b, {c: d}]\n- !If [Cond, !Ref A, !Ref AWS::NoValue]\n",
    "!Ref top\n",
    "",
    "# only a comment\n",
    "x: !!str 12\ny: !!int '7'\nz: !!float '1'\n",
    'u: "\\u00e9t\\u00e9"\nw: été\nlong: >\n  folded\n  text\nlit: |\n  a\n  b\n',
]


@pytest.mark.parametrize("text", TRICKY)
def test_the_fast_reader_builds_what_the_guarded_loader_builds(text: str) -> None:
    fast = cfn_yaml._parse_fast(text)
    assert fast is not None
    slow_loader = cfn_yaml._Loader(text)
    slow = slow_loader.get_single_data()
    slow_loader.dispose()
    assert fast[0] == slow and fast[1] == slow_loader.unknown_tags
    _same_positions(fast[0], slow)


def _same_positions(a: object, b: object) -> None:
    assert type(a) is type(b)
    if isinstance(a, yaml_nodes.PosDict) and isinstance(b, yaml_nodes.PosDict):
        assert (a.line, a.column, a.key_pos, a.value_pos) == (b.line, b.column, b.key_pos, b.value_pos)
        for key in a:
            _same_positions(a[key], b[key])
    elif isinstance(a, yaml_nodes.PosList) and isinstance(b, yaml_nodes.PosList):
        assert (a.line, a.column) == (b.line, b.column)
        for x, y in zip(a, b, strict=True):
            _same_positions(x, y)


@pytest.mark.parametrize(
    "text",
    ["a: &x 1\nb: &x 2\n", "base: &b {x: 1}\nm:\n  <<: *b\n  y: 2\n", "? [1, 2]\n: v\n", "a: 1\n---\nb: 2\n",
     "s: !!set {a, b}\n"],
)  # fmt: skip
def test_unusual_yaml_goes_to_the_guarded_loader(text: str) -> None:
    assert cfn_yaml._parse_fast(text) is None


def test_loading_leaves_the_garbage_collector_as_it_found_it(tmp_path: Path) -> None:
    import gc

    project = shared_module_project(tmp_path / "p", functions=3)
    assert gc.isenabled()
    load_project(project)
    assert gc.isenabled()
    gc.disable()
    try:
        load_project(project)
        assert not gc.isenabled()
    finally:
        gc.enable()
    with pytest.raises(ProjectLoadError):  # a failure inside restores it too
        load_project(tmp_path / "missing")
    assert gc.isenabled()
