"""`lambda-studio invoke --event-name`: a saved event of the function, or a project-wide one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.cli import main


def test_saved_event_of_the_function(example_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                "invoke",
                str(example_project),
                "OrdersFunction",
                "--event-name",
                "two-orders",
                "--backend",
                "process",
            ]
        )
        == 0
    )
    out, err = capsys.readouterr()
    assert json.loads(out) == {
        "batchItemFailures": [{"itemIdentifier": "0b7b3a4e-1d11-4c5a-9c0e-6c2b1f1f0a02"}]
    }
    assert "processed order o-1001 for ada" in err


def test_project_wide_event_json(example_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            ["invoke", str(example_project), "HelloFunction", "--event-name", "event", "--backend", "process"]
        )
        == 0
    )
    body = json.loads(json.loads(capsys.readouterr().out)["body"])
    assert body["message"] == "Hello, ada!"


def test_unknown_saved_event_is_a_setup_error(
    example_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["invoke", str(example_project), "OrdersFunction", "--event-name", "nope"]) == 2
    assert "no saved event 'nope'" in capsys.readouterr().err


def test_event_and_event_name_are_exclusive(example_project: Path) -> None:
    with pytest.raises(SystemExit) as info:
        main(["invoke", str(example_project), "OrdersFunction", "--event-name", "x", "--event", "y.json"])
    assert info.value.code == 2
