"""Issue 12 on the CLI: events refused as the Invoke API refuses them (size, NaN), blank files alike."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from app.cli import main
from app.invoke import read_event
from runner.emulator import MAX_REQUEST_PAYLOAD
from runner.result import SetupError
from tests.unit.test_cli_invoke_serve import cache, project  # noqa: F401 - fixtures


@pytest.mark.parametrize("text", ["NaN", '{"a": Infinity}', "[-Infinity, 1]"])
def test_read_event_refuses_nan_and_infinity(tmp_path: Path, text: str) -> None:
    path = tmp_path / "e.json"
    path.write_text(text)
    with pytest.raises(SetupError, match="not valid JSON"):
        read_event(str(path))
    with pytest.raises(SetupError, match="not valid JSON"):
        read_event("-", io.BytesIO(text.encode()))


@pytest.mark.parametrize("text", ["", "   \n\t\n"])
def test_empty_and_whitespace_event_files_are_both_the_empty_object(tmp_path: Path, text: str) -> None:
    path = tmp_path / "e.json"
    path.write_text(text)
    assert read_event(str(path)) == b"{}"


def test_cli_invoke_refuses_an_event_over_6291456_bytes(
    project: Path,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "big.json"
    path.write_bytes(b'"' + b"a" * (MAX_REQUEST_PAYLOAD - 1) + b'"')  # 6,291,457 bytes
    code = main(["invoke", str(project), "Echo", "--backend", "process", "--event", str(path)])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert "RequestTooLargeException" in err and "6291456" in err
    assert "START RequestId" not in err  # refused before any runtime ran
