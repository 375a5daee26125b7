"""The process backend runs a function on an interpreter of its own Python version when one is installed."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from runner.backends.process import interpreter
from runner.backends.process.backend import ProcessBackend
from runner.backends.process.interpreter import find_python
from runner.backends.process.sandbox import choose as choose_sandbox
from runner.config import FunctionConfig

HERE = f"{sys.version_info[0]}.{sys.version_info[1]}"
OTHER = "3.12" if HERE != "3.12" else "3.11"
OTHER_PYTHON = find_python(OTHER)
# Not a CI dependency: CI installs one Python only (scripts/), so there this skips, with this reason.
needs_other = pytest.mark.skipif(
    OTHER_PYTHON is None, reason=f"no Python {OTHER} installed besides this {HERE} (e.g. ~/.pyenv/versions)"
)

pytestmark = [pytest.mark.timeout(300)]

HANDLER = """\
import importlib.util
import sys


def handler(event, context):
    import boto3
    import humanize

    return {
        "version": "%d.%d" % sys.version_info[:2],
        "executable": sys.executable,
        "visible": {name: importlib.util.find_spec(name) is not None for name in event["names"]},
        "boto3": boto3.__version__,
        "humanize": humanize.intcomma(1234567),
        "no_site": sys.flags.no_site,
    }
"""


@pytest.fixture
def backend(tmp_path: Path) -> Iterator[ProcessBackend]:
    interpreter.forget()
    b = ProcessBackend(cache_dir=tmp_path / "cache")
    yield b
    b.close()


def _function(tmp_path: Path, runtime: str) -> FunctionConfig:
    code = tmp_path / "code"
    code.mkdir()
    (code / "fn.py").write_text(HANDLER)
    (code / "requirements.txt").write_text("humanize\n")
    return FunctionConfig(
        function_id="Fn",
        name="fn",
        handler="fn.handler",
        runtime=runtime,
        code_dir=code,
        requirements_file=code / "requirements.txt",
    )


@needs_other
def test_a_function_of_another_version_runs_on_a_matching_interpreter(
    tmp_path: Path, backend: ProcessBackend
) -> None:
    config = _function(tmp_path, f"python{OTHER}")
    chosen = backend.interpreter(config)
    assert (chosen.path, chosen.version, chosen.source) == (OTHER_PYTHON, OTHER, "found")
    names = ["app", "runner", "PySide6", "pytest", "pip", "boto3", "humanize"]
    result = backend.invoke(config, json.dumps({"names": names}).encode())
    assert result.ok, result.to_json()
    out = result.payload_json()
    assert out["version"] == OTHER  # not this interpreter's
    assert out["no_site"] == 1  # its own site-packages (pip, whatever else it has) hidden, as ours are
    assert out["visible"] == {
        "app": False, "runner": False, "PySide6": False, "pytest": False, "pip": False,
        "boto3": True, "humanize": True,
    }  # fmt: skip
    assert out["humanize"] == "1,234,567"  # requirements installed for that version
    assert "Ran on Python" not in (result.note or "")
    # Sandboxed where bubblewrap works here: its binds then let the interpreter in (pyenv's is in the hidden home).
    sandboxed = choose_sandbox([]).active
    assert ("sandboxed with bubblewrap" in (result.note or "")) == sandboxed
    assert backend.version_note(config) is None


def test_without_a_matching_interpreter_the_result_says_so(
    tmp_path: Path, backend: ProcessBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAMBDA_STUDIO_PYTHON_SEARCH", "off")
    config = _function(tmp_path, f"python{OTHER}")
    result = backend.invoke(config, json.dumps({"names": []}).encode())
    assert result.ok, result.to_json()
    assert result.payload_json()["version"] == HERE
    assert f"Ran on Python {HERE}, not python{OTHER}" in (result.note or "")


def test_a_pin_chooses_the_interpreter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    interpreter.forget()
    monkeypatch.setenv("LAMBDA_STUDIO_PYTHON_SEARCH", "off")
    backend = ProcessBackend(cache_dir=tmp_path / "cache", pins={OTHER: sys.executable})
    try:
        config = _function(tmp_path, f"python{OTHER}")
        chosen = backend.interpreter(config)
        assert (chosen.path, chosen.source, chosen.own) == (sys.executable, "pinned", True)
        result = backend.invoke(config, json.dumps({"names": ["PySide6"]}).encode())
        assert result.ok, result.to_json()
        assert result.payload_json()["visible"] == {"PySide6": False}  # ours, pinned: still isolated
    finally:
        backend.close()


@needs_other
def test_debugging_runs_on_the_matching_interpreter_too(tmp_path: Path, backend: ProcessBackend) -> None:
    from runner.debug.dap import Breakpoint
    from runner.debug.session import runtime_rules
    from tests.integration.test_debug_process import DebugRun

    code = tmp_path / "dbg"
    code.mkdir()
    (code / "app.py").write_text(
        "import sys\n\n\ndef handler(event, context):\n    version = '%d.%d' % sys.version_info[:2]\n"
        "    return {'version': version}\n"
    )
    config = FunctionConfig("Dbg", "dbg", "app.handler", f"python{OTHER}", code, timeout_s=3.0)
    run = DebugRun(backend, config, {})
    run.thread.start()  # the first debug run fetches debugpy for that version and compiles it: more time
    run.session.start(
        {str(code / "app.py"): [Breakpoint(6)]},
        alive=run.thread.is_alive,
        rules=runtime_rules("process"),
        timeout=120,
    )
    stop = run.session.wait_stopped(60)
    assert stop is not None, run.lines
    assert stop.line == 6
    assert run.session.locals()["version"] == repr(OTHER)
    run.session.continue_()
    result = run.finish()
    assert result.ok, result.log_text
    assert result.payload_json() == {"version": OTHER}
