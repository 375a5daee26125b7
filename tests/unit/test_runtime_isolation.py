"""A function run on our interpreter sees its code, layers, requirements and the AWS SDK — not the IDE's packages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runner.backends.process.backend import ProcessBackend
from runner.backends.process.isolation import AWS_SDK, linked_packages
from runner.config import FunctionConfig

HANDLER = """\
import importlib.util
import sys


def handler(event, context):
    import boto3

    return {
        "visible": {name: importlib.util.find_spec(name) is not None for name in event["names"]},
        "boto3": boto3.__version__,
        "first_path": sys.path[0],
    }
"""


@pytest.fixture
def backend(tmp_path: Path):
    backend = ProcessBackend(cache_dir=tmp_path / "cache")
    yield backend
    backend.close()


def test_ide_packages_are_hidden_and_the_sdk_is_there(tmp_path: Path, backend: ProcessBackend) -> None:
    code = tmp_path / "code"
    code.mkdir()
    (code / "fn.py").write_text(HANDLER)
    config = FunctionConfig(
        function_id="Fn", name="fn", handler="fn.handler", runtime="python3.11", code_dir=code
    )
    names = ["app", "runner", "widgets", "PySide6", "pytest", "yaml", "boto3", "botocore", "json"]
    result = backend.invoke(config, json.dumps({"names": names}).encode())
    assert result.ok, result.to_json()
    out = result.payload_json()
    assert out["visible"] == {
        "app": False, "runner": False, "widgets": False, "PySide6": False, "pytest": False, "yaml": False,
        "boto3": True, "botocore": True, "json": True,
    }  # fmt: skip
    assert out["first_path"] == str(code)


def test_linked_packages_are_made_once(tmp_path: Path) -> None:
    first = linked_packages(tmp_path)
    assert first is not None and (first / ".complete").exists()
    assert {"boto3", "botocore"} <= {p.name for p in first.iterdir()}
    assert linked_packages(tmp_path) == first
    assert "boto3" in AWS_SDK
    assert linked_packages(tmp_path, ("no_such_package_here",)) is None
