"""A template path that is a folder or a link loop is reported, never silently ignored; empty Resources is valid."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.cli import main
from app.project.loader import load_project
from app.project.model import Severity


def _make_unusable(folder: Path, kind: str) -> Path:
    path = folder / "template.yaml"
    if kind == "folder":
        path.mkdir()
    else:
        path.symlink_to("template.yaml")  # a link to itself: every open fails with ELOOP
    return path


@pytest.mark.parametrize(("kind", "says"), [("folder", "is a folder"), ("loop", "symbolic link loop")])
def test_an_unusable_template_is_an_error_diagnostic(tmp_path: Path, kind: str, says: str) -> None:
    (tmp_path / "app.py").write_text("def handler(event, context):\n    return 1\n")
    path = _make_unusable(tmp_path, kind)
    project = load_project(tmp_path)
    diags = [d for d in project.all_diagnostics if d.code == "template-unusable"]
    assert len(diags) == 1 and diags[0].severity is Severity.ERROR and diags[0].file == path
    assert says in diags[0].message and "template.yaml" in diags[0].message
    assert not project.readable
    assert project.functions == []  # not a plain-handler project either: the template was meant


@pytest.mark.parametrize("kind", ["folder", "loop"])
def test_cli_functions_exits_non_zero_and_says_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    _make_unusable(tmp_path, kind)
    assert main(["functions", str(tmp_path), "--json"]) == 2
    data = json.loads(capsys.readouterr().out)
    assert [d["code"] for d in data["diagnostics"]] == ["template-unusable"]


def test_a_later_name_is_not_used_silently_either(tmp_path: Path) -> None:
    (tmp_path / "template.yaml").mkdir()
    (tmp_path / "template.yml").write_text("Resources: {}\n")
    project = load_project(tmp_path)
    assert "template-unusable" in [d.code for d in project.all_diagnostics]


def test_empty_resources_is_valid_but_noted(tmp_path: Path) -> None:
    (tmp_path / "template.yaml").write_text("AWSTemplateFormatVersion: '2010-09-09'\nResources: {}\n")
    project = load_project(tmp_path)
    assert project.readable and project.functions == []
    assert [(d.severity, d.code) for d in project.all_diagnostics] == [(Severity.WARNING, "empty-resources")]
    assert "not a map" not in project.all_diagnostics[0].message
    assert "no resources" in project.all_diagnostics[0].message
