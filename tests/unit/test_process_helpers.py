"""Process backend pieces: SAM env-vars semantics, requirements cache, sys.path, frames, exit texts."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from runner.backends.process.backend import ProcessBackend, ensure_requirements, layer_python_dirs
from runner.cache import default_cache_dir
from runner.config import FunctionConfig
from runner.emulator import MemoryProbe, exit_text
from runner.env_vars import apply_env_vars, load_env_vars_file
from runner.result import Outcome, SetupError, error_from_payload, parse_stack_trace


def test_apply_env_vars_sam_semantics() -> None:
    env = {"A": "1", "B": "2", "C": "3"}
    doc = {"Parameters": {"A": "p", "Z": "new"}, "fn-name": {"B": "by name"}, "Fn": {"B": "by id", "C": None}}
    assert apply_env_vars(env, doc, "Fn", "fn-name") == {"A": "p", "B": "by id", "C": ""}
    assert apply_env_vars(env, None, "Fn", "fn") == env


def test_load_env_vars_file_errors(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text("[1")
    (tmp_path / "list.json").write_text("[1]")
    for name, message in (
        ("bad.json", "not valid JSON"),
        ("list.json", "must be a JSON object"),
        ("no.json", "cannot read"),
    ):
        with pytest.raises(SetupError, match=message):
            load_env_vars_file(tmp_path / name)


def test_stack_trace_parsing_maps_lambda_paths(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("x\n")
    trace = ['  File "/var/task/app.py", line 7, in handler\n    raise ValueError("boom")\n',
             '  File "/var/task/gone.py", line 2, in f\n', '  File "/x/synerr.py" Line 1\n    def f(:\n']  # fmt: skip
    frames = parse_stack_trace(trace, {"/var/task": tmp_path})
    assert [(f.file, f.line, f.function) for f in frames] == [
        ("/var/task/app.py", 7, "handler"), ("/var/task/gone.py", 2, "f"), ("/x/synerr.py", 1, "<module>"),
    ]  # fmt: skip
    assert frames[0].local_path == tmp_path / "app.py" and frames[0].code == 'raise ValueError("boom")'
    assert frames[1].local_path is None
    err = error_from_payload(b"not json")
    assert err.type == "Unhandled" and err.message == "not json"


def test_exit_texts_match_lambda() -> None:
    assert exit_text(3) == "exit status 3"
    assert exit_text(-9) == "signal: killed"
    assert exit_text(-11) == "signal: segmentation fault"


def test_cache_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LAMBDA_STUDIO_CACHE", str(tmp_path))
    assert default_cache_dir() == tmp_path
    monkeypatch.delenv("LAMBDA_STUDIO_CACHE")
    assert "lambda-studio" in str(default_cache_dir())


def test_layer_dirs_follow_lambda_layout(tmp_path: Path) -> None:
    (tmp_path / "l1" / "python" / "lib" / "python3.11" / "site-packages").mkdir(parents=True)
    (tmp_path / "l2").mkdir()
    dirs = layer_python_dirs((tmp_path / "l1", tmp_path / "l2"), "3.11")
    assert dirs == [
        tmp_path / "l1/python/lib/python3.11/site-packages",
        tmp_path / "l1/python",
        tmp_path / "l2",
    ]


def _wheel(dest: Path) -> Path:
    """A minimal pure-Python wheel, so the requirements test needs no package index."""
    path = dest / "tinydep-1.0-py3-none-any.whl"
    dist = "tinydep-1.0.dist-info"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("tinydep.py", "VALUE = 'tiny'\n")
        z.writestr(f"{dist}/METADATA", "Metadata-Version: 2.1\nName: tinydep\nVersion: 1.0\n")
        z.writestr(
            f"{dist}/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        )
        z.writestr(f"{dist}/RECORD", "")
    return path


def test_requirements_installed_once_and_importable(tmp_path: Path) -> None:
    code = tmp_path / "code"
    code.mkdir()
    wheel = _wheel(tmp_path)
    (code / "requirements.txt").write_text(f"# local wheel\n{wheel}\n")
    (code / "app.py").write_text("import tinydep\n\ndef handler(event, context):\n    return tinydep.VALUE\n")
    cache = tmp_path / "cache"
    target = ensure_requirements(code / "requirements.txt", sys.executable, cache)
    assert (target / "tinydep.py").is_file()
    assert ensure_requirements(code / "requirements.txt", sys.executable, cache) == target  # cached
    config = FunctionConfig(function_id="F", name="f", handler="app.handler", runtime="python3.11", code_dir=code,
                            requirements_file=code / "requirements.txt", timeout_s=2)  # fmt: skip
    backend = ProcessBackend(cache_dir=cache)
    try:
        result = backend.invoke(config, b"{}")
        assert result.outcome is Outcome.SUCCESS and result.payload == b'"tiny"'
    finally:
        backend.close()
    (code / "requirements.txt").write_text("./does-not-exist\n")
    with pytest.raises(SetupError, match="installing .* failed"):
        ensure_requirements(code / "requirements.txt", sys.executable, cache)


def test_setup_errors_are_clear(tmp_path: Path) -> None:
    backend = ProcessBackend(cache_dir=tmp_path)
    base = {"function_id": "F", "name": "f", "handler": "app.h", "code_dir": tmp_path}
    with pytest.raises(SetupError, match="not Python"):
        backend.invoke(FunctionConfig(runtime="nodejs20.x", **base), b"{}")  # type: ignore[arg-type]
    with pytest.raises(SetupError, match="does not exist"):
        backend.invoke(FunctionConfig(**{**base, "code_dir": tmp_path / "nope"}, runtime="python3.11"), b"{}")  # type: ignore[arg-type]
    backend.close()


def test_memory_probe_prefers_cgroup_peak_v2_then_v1(tmp_path: Path) -> None:
    v1 = tmp_path / "v1"
    (v1 / "memory").mkdir(parents=True)
    (v1 / "memory" / "memory.max_usage_in_bytes").write_text("200000000\n")
    assert MemoryProbe(True, str(v1)).peak(os.getpid(), 0) == 200_000_000
    (v1 / "memory.peak").write_text("300000000\n")
    assert MemoryProbe(True, str(v1)).peak(os.getpid(), 0) == 300_000_000
    own = MemoryProbe(False, str(v1))
    assert own.cgroup_peak is None and 0 < own.current(os.getpid()) <= own.peak(os.getpid(), 0)


def test_ps_fallback_sums_the_process_tree() -> None:
    """Where there is no /proc (macOS), one `ps` call gives the tree's RSS."""
    from runner.emulator.memory import _ps_rss

    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(5)"])
    try:
        time.sleep(0.2)
        mine, tree = MemoryProbe(False).current(child.pid), _ps_rss(os.getpid())
        assert mine > 0 and tree > _ps_rss(child.pid) > 0
    finally:
        child.kill()
        child.wait()


def test_the_lambda_set_comes_from_the_config_once(tmp_path: Path) -> None:
    config = FunctionConfig(
        "Fn", "fn-name", "app.handler", "python3.12", tmp_path, environment={"TZ": "Europe/Paris"},
        region="eu-west-1", log_format="JSON",
    )  # fmt: skip
    lambda_set = config.lambda_environment()
    assert lambda_set["AWS_EXECUTION_ENV"] == "AWS_Lambda_python3.12"
    assert lambda_set["AWS_LAMBDA_LOG_GROUP_NAME"] == "/aws/lambda/fn-name"
    env = ProcessBackend(cache_dir=tmp_path / "cache").environment(config, [tmp_path])
    assert {k: env[k] for k in lambda_set if k != "TZ"} == {k: v for k, v in lambda_set.items() if k != "TZ"}
    assert env["TZ"] == "Europe/Paris"  # the template's own variables win, as before
