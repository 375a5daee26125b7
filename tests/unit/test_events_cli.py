"""`lambda-studio events ...` end to end, in process, against the example project."""

from __future__ import annotations

import hashlib
import io
import json
import sys
from pathlib import Path

import pytest

from app.cli import main


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_list(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["events", "list"], capsys)
    assert code == 0
    assert "sqs receive-message" in out and "event types from" in err
    code, out, _ = run(["events", "list", "--json"], capsys)
    rows = json.loads(out)
    assert len(rows) >= 60
    sqs = next(r for r in rows if (r["service"], r["type"]) == ("sqs", "fifo"))
    assert {p["name"] for p in sqs["parameters"]} >= {"body", "group_id", "region", "account"}
    code, out, _ = run(["events", "list", "--service", "cognito"], capsys)
    assert code == 0 and all(line.startswith("cognito ") for line in out.splitlines())
    code, out, err = run(["events", "list", "--service", "nope", "--json"], capsys)
    assert code == 2 and "error" in json.loads(out)


def test_generate_with_overrides(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["events", "generate", "sqs", "receive-message", "--set", "body=hi there"], capsys)
    assert code == 0
    record = json.loads(out)["Records"][0]
    assert record["md5OfBody"] == hashlib.md5(b"hi there").hexdigest()
    code, out, _ = run(
        ["events", "generate", "s3", "put", "--set", "size=77", "--set", "region=eu-west-1"], capsys
    )
    record = json.loads(out)["Records"][0]
    assert (record["s3"]["object"]["size"], record["awsRegion"]) == (77, "eu-west-1")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["sqs", "receive-message", "--set", "bdy=x"], "did you mean 'body'"),
        (["sqs", "receive-message", "--set", "body"], "key=value"),
        (["s3", "put", "--set", "size=big"], "must be an integer"),
        (["sq", "receive-message"], "unknown service"),
        (["sqs", "nope"], "has no event type"),
    ],
)
def test_generate_errors(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["events", "generate", *argv], capsys)
    assert code == 2 and out == "" and message in err


def test_save_and_show(example_project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in.json"
    src.write_text('{"orderId": 7}\n')
    project = str(example_project)
    code, out, _ = run(["events", "save", project, "OrdersFunction", "seven", "--from", str(src)], capsys)
    assert code == 0 and (example_project / "events" / "OrdersFunction" / "seven.json").is_file()
    code, out, _ = run(["events", "show", project, "OrdersFunction", "seven"], capsys)
    assert json.loads(out) == {"orderId": 7}
    code, _, err = run(["events", "save", project, "OrdersFunction", "seven", "--from", str(src)], capsys)
    assert code == 2 and "already exists" in err
    code, _, _ = run(
        ["events", "save", project, "OrdersFunction", "seven", "--from", str(src), "--force"], capsys
    )
    assert code == 0
    # by function name as well as logical id, and project-wide with "-"
    code, out, _ = run(["events", "show", project, "-", "event"], capsys)
    assert code == 0 and json.loads(out)
    code, out, _ = run(["events", "saved", project, "--json"], capsys)
    assert {"function": "OrdersFunction", "name": "seven"} in [
        {k: r[k] for k in ("function", "name")} for r in json.loads(out)
    ]


def test_save_from_stdin_and_template(
    example_project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b'{"from": "stdin"}')))
    code, _, _ = run(
        ["events", "save", str(example_project), "HelloFunction", "piped", "--from", "-"], capsys
    )
    assert code == 0
    assert json.loads((example_project / "events" / "HelloFunction" / "piped.json").read_text()) == {
        "from": "stdin"
    }
    argv = ["events", "save", str(example_project), "HelloFunction", "url"]
    code, _, _ = run([*argv, "--template", "lambda", "function-url", "--set", "path=/hi"], capsys)
    assert code == 0
    saved = json.loads((example_project / "events" / "HelloFunction" / "url.json").read_text())
    assert saved["rawPath"] == "/hi"


def test_save_refuses_bad_json_and_names(
    example_project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{\n  "a": 1\n  "b": 2\n}')
    project = str(example_project)
    code, _, err = run(
        ["events", "save", project, "HelloFunction", "get-hello", "--from", str(bad), "--force"], capsys
    )
    assert code == 2 and "3:3: invalid JSON" in err
    assert json.loads((example_project / "events" / "HelloFunction" / "get-hello.json").read_text())[
        "version"
    ]
    code, _, err = run(["events", "save", project, "HelloFunction", "a/x", "--from", str(bad)], capsys)
    assert code == 2 and "path separator" in err


def test_unknown_project_function_and_event(
    example_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["events", "show", str(example_project), "Nope", "x"], capsys)
    assert code == 2 and "functions: HelloFunction, OrdersFunction" in err
    code, _, err = run(["events", "show", str(example_project), "HelloFunction", "nope"], capsys)
    assert code == 2 and "saved: get-hello" in err
    code, _, err = run(["events", "show", str(example_project / "missing"), "HelloFunction", "x"], capsys)
    assert code == 2 and "no such file" in err
