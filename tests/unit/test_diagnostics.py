"""Every diagnostic of the project model, with the file position it points at."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from app.cli import main
from app.project.loader import load_project
from app.project.model import Diagnostic, Severity

GOOD = {"Handler": "app.handler", "Runtime": "python3.12", "CodeUri": "src"}


def project_with(tmp_path: Path, props: str, extra: str = "", files: dict[str, str] | None = None) -> Path:
    body = textwrap.indent(textwrap.dedent(props).strip(), " " * 6)
    (tmp_path / "template.yaml").write_text(
        "Transform: AWS::Serverless-2016-10-31\n"
        + textwrap.dedent(extra)
        + "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        + body
        + "\n"
    )
    for rel, text in (
        files if files is not None else {"src/app.py": "def handler(event, context):\n    pass\n"}
    ).items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    return tmp_path


def only(root: Path) -> Diagnostic:
    diags = load_project(root).all_diagnostics
    assert len(diags) == 1, diags
    return diags[0]


BASE = "CodeUri: src\nHandler: app.handler\nRuntime: python3.12\n"


@pytest.mark.parametrize(
    ("props", "code", "line", "column"),
    [
        (BASE + "MemorySize: 64", "memory-range", 9, 19),
        (BASE + "MemorySize: 10241", "memory-range", 9, 19),
        (BASE + "Timeout: 0", "timeout-range", 9, 16),
        (BASE + "Timeout: 901", "timeout-range", 9, 16),
        (BASE + "MemorySize: lots", "not-a-number", 9, 19),
        ("CodeUri: src\nHandler: app.handler\nRuntime: python9.9", "runtime-unknown", 8, 16),
        ("CodeUri: src\nHandler: app.handler\nRuntime: python3.7", "runtime-deprecated", 8, 16),
        ("CodeUri: src\nHandler: nodots\nRuntime: python3.12", "handler-malformed", 7, 16),
        ("CodeUri: src\nHandler: app.\nRuntime: python3.12", "handler-malformed", 7, 16),
        ("CodeUri: src\nHandler: missing.handler\nRuntime: python3.12", "handler-not-found", 7, 16),
        ("CodeUri: src\nHandler: app.nothere\nRuntime: python3.12", "handler-not-found", 7, 16),
        ("CodeUri: nowhere\nHandler: app.handler\nRuntime: python3.12", "code-missing", 6, 16),
        ("CodeUri: src\nHandler: app.handler", "runtime-missing", 3, 3),
        ("CodeUri: src\nRuntime: python3.12", "handler-missing", 3, 3),
        (BASE + "Architectures: [sparc]", "architecture", 9, 22),
        (BASE + "Layers: [a1, a2, a3, a4, a5, a6]", "too-many-layers", 9, 15),
        (BASE + "EphemeralStorage: {Size: 100}", "ephemeral-storage-range", 9, 25),
        (BASE + "Environment: {Variables: {A: !Ref Nope}}", "unresolvable-reference", 9, 36),
        ("CodeUri: src\nHandler: app.handler\nRuntime: !Ref Missing", "unresolvable-reference", 8, 16),
        (BASE + "Environment: {Variables: {Q: !ImportValue shared}}", "unresolvable-reference", 9, 36),
    ],
)
def test_each_diagnostic_points_at_its_property(
    tmp_path: Path, props: str, code: str, line: int, column: int
) -> None:
    diag = only(project_with(tmp_path, props))
    assert (diag.code, diag.line, diag.column) == (code, line, column), diag
    assert diag.file == tmp_path / "template.yaml"
    assert diag.function_id == "Fn"


def test_environment_over_4kb(tmp_path: Path) -> None:
    big = "x" * 2100
    diag = only(project_with(tmp_path, BASE + f"Environment:\n  Variables:\n    A: {big}\n    B: {big}"))
    assert diag.code == "environment-too-large" and "4,202 bytes" in diag.message
    assert (diag.line, diag.column) == (9, 1 + 6)


def test_global_value_is_reported_at_the_globals_position(tmp_path: Path) -> None:
    root = project_with(tmp_path, BASE, extra="Globals:\n  Function:\n    Timeout: 1000\n")
    diag = only(root)
    assert (diag.code, diag.line, diag.column) == ("timeout-range", 4, 14)


def test_handler_in_nested_package_with_slash_and_dots(tmp_path: Path) -> None:
    files = {
        "src/pkg/__init__.py": "",
        "src/pkg/sub/__init__.py": "",
        "src/pkg/sub/mod.py": "def fn(e, c):\n    pass\n",
    }
    for handler in ("pkg/sub/mod.fn", "pkg.sub.mod.fn"):
        root = project_with(tmp_path, f"CodeUri: src\nHandler: {handler}\nRuntime: python3.12", files=files)
        assert load_project(root).all_diagnostics == []


def test_handler_defined_by_import_or_assignment_is_found(tmp_path: Path) -> None:
    files = {
        "src/app.py": "from impl import real as handler\n",
        "src/other.py": "try:\n    x = 1\nexcept E:\n    pass\nfn = x\n",
    }
    assert load_project(project_with(tmp_path, BASE, files=files)).all_diagnostics == []


def test_handler_module_with_syntax_error(tmp_path: Path) -> None:
    diag = only(project_with(tmp_path, BASE, files={"src/app.py": "def handler(:\n"}))
    assert diag.code == "handler-not-found" and "syntax error at line 1" in diag.message


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Resources: [1, 2]\n", "no-resources"),
        ("AWSTemplateFormatVersion: '2010-09-09'\n", "no-resources"),
        ("Resources:\n  A: 5\n", "resource-not-map"),
        ("Resources:\n  A: {Properties: {}}\n", "resource-type"),
        ("Resources:\n  A: {Type: AWS::Serverless::Function, Properties: [1]}\n", "properties-not-map"),
    ],
)
def test_structural_problems_are_diagnostics(tmp_path: Path, text: str, code: str) -> None:
    (tmp_path / "template.yaml").write_text(text)
    project = load_project(tmp_path)
    assert project.readable
    assert code in [d.code for d in project.all_diagnostics]


def test_a_template_with_problems_still_yields_the_rest(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text("def handler(event, context):\n    pass\n")
    (tmp_path / "template.yaml").write_text(
        "Resources:\n  Bad: 7\n  Weird: {Type: AWS::Serverless::Function, Properties: {MemorySize: 1}}\n"
        "  Good: {Type: AWS::Serverless::Function, Properties: {CodeUri: src, Handler: app.handler, Runtime: python3.12}}\n"
    )
    project = load_project(tmp_path)
    assert [f.logical_id for f in project.functions] == ["Weird", "Good"]
    assert project.function("Good").diagnostics == []  # type: ignore[union-attr]
    assert {d.code for d in project.all_diagnostics} >= {
        "resource-not-map",
        "memory-range",
        "runtime-missing",
    }


def test_unreadable_template_gives_exit_2_and_a_located_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "template.yaml").write_text("Resources:\n  Fn: [\n")
    project = load_project(tmp_path)
    assert not project.readable
    assert project.diagnostics[0].severity is Severity.ERROR
    assert main(["functions", str(tmp_path)]) == 2
    out = capsys.readouterr().out
    assert "template.yaml:3:1: error: invalid YAML" in out
