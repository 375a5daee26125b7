"""Every project blueprint creates a complete SAM project whose template, handlers, events and tests work."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from app import blueprints
from app.blueprints import BlueprintError, create_project, list_blueprints, project_name_problem
from app.project.loader import load_project
from app.project.model import Severity

EXPECTED_IDS = {"hello-world", "s3-thumbnail", "api-handler", "sqs-batch", "dynamodb-stream", "scheduled-job"}
PROJECT_NAME = "demo-app"
BLUEPRINT_TEST_TIMEOUT_S = 120


class CfnLoader(yaml.SafeLoader):
    """A YAML loader that reads CloudFormation short-form tags (!Ref, !GetAtt, !Sub...) as their long form."""


def _cfn_tag(loader: CfnLoader, suffix: str, node: yaml.Node) -> Any:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        assert isinstance(node, yaml.MappingNode)
        value = loader.construct_mapping(node, deep=True)
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        return {"Fn::GetAtt": value.split(".", 1)}
    return {f"Fn::{suffix}": value}


CfnLoader.add_multi_constructor("!", _cfn_tag)


def load_template(project: Path) -> dict[str, Any]:
    data = yaml.load((project / "template.yaml").read_text(encoding="utf-8"), Loader=CfnLoader)
    assert isinstance(data, dict)
    return data


def functions_of(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource.get("Properties", {})
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }


BLUEPRINTS = {b.id: b for b in list_blueprints()}
IDS = sorted(BLUEPRINTS)


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One project created from each blueprint (module scope: creating them is shared by the tests)."""
    root = tmp_path_factory.mktemp("created")
    return {bid: create_project(bid, root / bid, PROJECT_NAME) for bid in IDS}


@pytest.fixture(scope="module")
def blueprint_test_runs(projects: dict[str, Path]) -> dict[str, tuple[int, str]]:
    """Each created project's own test suite, run in parallel subprocesses: id -> (exit code, output)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "AWS_"))}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    running = {}
    for bid, project in projects.items():
        # Only the project's own config; the IDE's Qt and hypothesis plugins just slow start-up.
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        command += ["-p", "no:pytestqt", "-p", "no:hypothesispytest"]
        command += ["-c", str(project / "pyproject.toml"), "--rootdir", str(project), "tests"]
        running[bid] = subprocess.Popen(
            command, cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
    deadline = time.monotonic() + BLUEPRINT_TEST_TIMEOUT_S
    results = {}
    for bid, process in running.items():
        try:
            output, _ = process.communicate(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
            output += "\n(timed out)"
        results[bid] = (process.returncode, output)
    return results


def test_index_lists_the_six_blueprints() -> None:
    assert set(BLUEPRINTS) == EXPECTED_IDS
    for blueprint in BLUEPRINTS.values():
        assert blueprint.title and blueprint.description
        assert blueprint.functions, blueprint.id
        assert (blueprint.path / "template.yaml").is_file()


@pytest.mark.parametrize("blueprint_id", IDS)
def test_created_project_is_complete(blueprint_id: str, projects: dict[str, Path]) -> None:
    project = projects[blueprint_id]
    for required in ("template.yaml", "README.md", "samconfig.toml", "pyproject.toml", "tests/conftest.py"):
        assert (project / required).is_file(), required
    assert list((project / "tests").glob("test_*.py"))
    for path in project.rglob("*"):
        assert "__pycache__" not in path.parts
        if path.is_file():
            assert "{{project_name}}" not in path.read_text(encoding="utf-8"), path
    assert PROJECT_NAME in (project / "template.yaml").read_text(encoding="utf-8")
    assert f"# {PROJECT_NAME}" in (project / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("blueprint_id", IDS)
def test_template_parses_and_handlers_exist(blueprint_id: str, projects: dict[str, Path]) -> None:
    project = projects[blueprint_id]
    template = load_template(project)
    assert template["Transform"] == "AWS::Serverless-2016-10-31"
    assert template["Globals"]["Function"]["Runtime"] == "python3.12"
    functions = functions_of(template)
    assert sorted(functions) == sorted(BLUEPRINTS[blueprint_id].functions)
    for logical_id, props in functions.items():
        module, handler = props["Handler"].rsplit(".", 1)
        source = project / props["CodeUri"] / (module.replace(".", "/") + ".py")
        assert source.is_file(), f"{logical_id}: {source} is missing"
        tree = ast.parse(source.read_text(encoding="utf-8"))
        defined = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
        assert handler in defined, f"{logical_id}: {source.name} defines no {handler}()"
        assert (source.parent / "requirements.txt").is_file()
        events = sorted((project / "events" / logical_id).glob("*.json"))
        assert events, f"{logical_id} has no saved events"
        for event in events:
            assert isinstance(json.loads(event.read_text(encoding="utf-8")), dict), event


@pytest.mark.parametrize("blueprint_id", IDS)
def test_template_transforms_with_the_sam_translator(
    blueprint_id: str, projects: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    translator = pytest.importorskip("samtranslator.translator.transform")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    template = load_template(projects[blueprint_id])
    for props in functions_of(template).values():
        props["CodeUri"] = "s3://artifacts/code.zip"  # what `sam package` puts in place of the local folder

    class NoManagedPolicies:
        def load(self) -> dict[str, str]:
            raise AssertionError("blueprints use policy templates, not managed policy names")

    output = translator.transform(template, {}, NoManagedPolicies())
    types = {resource["Type"] for resource in output["Resources"].values()}
    assert "AWS::Lambda::Function" in types
    assert "AWS::Serverless::Function" not in types


@pytest.mark.parametrize("blueprint_id", IDS)
def test_blueprint_own_tests_pass(blueprint_id: str, blueprint_test_runs: dict[str, tuple[int, str]]) -> None:
    code, output = blueprint_test_runs[blueprint_id]
    assert code == 0, output
    assert " passed" in output and "skipped" not in output, output


EVENT_TYPES = {
    "hello-world": {"HttpApi"},
    "api-handler": {"Api"},
    "s3-thumbnail": {"S3"},
    "sqs-batch": {"SQS"},
    "dynamodb-stream": {"DynamoDB"},
    "scheduled-job": {"Schedule"},
}


@pytest.mark.parametrize("blueprint_id", IDS)
def test_created_project_loads_cleanly(blueprint_id: str, projects: dict[str, Path]) -> None:
    project = load_project(projects[blueprint_id])
    assert project.readable
    errors = [str(d) for d in project.all_diagnostics if d.severity is Severity.ERROR]
    assert errors == []
    assert [fn.logical_id for fn in project.functions] == list(BLUEPRINTS[blueprint_id].functions)
    for fn in project.functions:
        assert fn.runtime == "python3.12"
        assert fn.handler_file is not None and fn.handler_file.name == "app.py"
        assert {event.type for event in fn.events} == EVENT_TYPES[blueprint_id]


def test_refuses_a_non_empty_destination(tmp_path: Path) -> None:
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("mine")
    with pytest.raises(BlueprintError, match="not empty"):
        create_project("hello-world", tmp_path / "taken", "demo")
    assert [p.name for p in (tmp_path / "taken").iterdir()] == ["notes.txt"]
    (tmp_path / "file").write_text("x")
    with pytest.raises(BlueprintError, match="is a file"):
        create_project("hello-world", tmp_path / "file", "demo")


def test_accepts_an_empty_or_missing_destination(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert create_project("hello-world", tmp_path / "empty", "demo") == tmp_path / "empty"
    assert (tmp_path / "empty" / "template.yaml").is_file()
    deep = tmp_path / "a" / "b" / "new"
    assert create_project("sqs-batch", str(deep), "demo") == deep
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "empty"]  # no staging leftovers


@pytest.mark.parametrize(
    "name", ["", "Demo", "1demo", "demo-", "demo_app", "de mo", "d" * 33, "../evil", "{{x}}"]
)
def test_rejects_bad_project_names(name: str, tmp_path: Path) -> None:
    assert project_name_problem(name)
    with pytest.raises(BlueprintError):
        create_project("hello-world", tmp_path / "p", name)
    assert not (tmp_path / "p").exists()


@pytest.mark.parametrize("name", ["a", "demo", "my-app-2", "x" * 32])
def test_accepts_good_project_names(name: str) -> None:
    assert project_name_problem(name) is None


def test_unknown_blueprint_names_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(BlueprintError, match="hello-world"):
        create_project("nope", tmp_path / "p", "demo")


def test_failure_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(source: Path, target: Path, replacements: dict[str, str]) -> None:
        (target / "partial.txt").write_text("half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(blueprints, "_copy_tree", fail)
    with pytest.raises(BlueprintError, match="No space left"):
        create_project("hello-world", tmp_path / "p", "demo")
    assert list(tmp_path.iterdir()) == []


def test_custom_root_skips_caches_and_keeps_binary_files(tmp_path: Path) -> None:
    root = tmp_path / "root"
    src = root / "tiny"
    (src / "__pycache__").mkdir(parents=True)
    (src / "__pycache__" / "app.cpython-312.pyc").write_bytes(b"\0junk")
    (src / "template.yaml").write_text("Description: {{project_name}}\n")
    (src / "logo.bin").write_bytes(b"\x89PNG\0{{project_name}}")
    (root / "index.json").write_text(json.dumps({"blueprints": [{"id": "tiny", "title": "Tiny"}]}))
    assert [b.id for b in list_blueprints(root)] == ["tiny"]
    out = create_project("tiny", tmp_path / "out", "zed", root=root)
    assert (out / "template.yaml").read_text() == "Description: zed\n"
    assert (out / "logo.bin").read_bytes() == b"\x89PNG\0{{project_name}}"
    assert not (out / "__pycache__").exists()


def test_broken_index_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "index.json").write_text("{not json")
    with pytest.raises(BlueprintError, match="blueprint index"):
        list_blueprints(tmp_path)
