"""The one backend contract (runner.backends.contract): every backend speaks it, auto included, no private walks."""

from __future__ import annotations

import inspect
import textwrap
from pathlib import Path

import pytest

from runner.backends.auto import AutoBackend
from runner.backends.container.backend import ContainerBackend
from runner.backends.container.engine import EngineUnavailable
from runner.backends.contract import Backend, BackendOptions
from runner.backends.process.backend import ProcessBackend
from runner.config import FunctionConfig


def _no_engine() -> object:
    raise EngineUnavailable("Cannot connect to the Docker daemon (test: no engine here)")


@pytest.mark.parametrize("cls", [ProcessBackend, ContainerBackend, AutoBackend])
def test_every_backend_has_the_one_invoke_signature(cls: type) -> None:
    ours = inspect.signature(Backend.invoke)
    theirs = inspect.signature(cls.invoke)
    assert list(theirs.parameters) == list(ours.parameters)
    for name, param in ours.parameters.items():
        assert theirs.parameters[name].kind == param.kind, name
        assert theirs.parameters[name].default == param.default, name
    for method in ("reload", "warm_count", "close"):
        assert callable(getattr(cls, method, None)), method


def test_options_are_split_once() -> None:
    opts = BackendOptions.from_mapping(
        {"cache_dir": Path("/c"), "images": {"python3.12": "img"}, "project": "p", "remove_orphans": False}
    )
    assert opts.process_kwargs() == {"cache_dir": Path("/c")}
    assert opts.container_kwargs() == {"images": {"python3.12": "img"}, "remove_orphans": False}
    with pytest.raises(TypeError, match="log_sink"):
        BackendOptions.from_mapping({"log_sink": print})


def test_auto_without_engine_runs_a_process_says_why_and_counts_warm(tmp_path: Path) -> None:
    code = tmp_path / "code"
    code.mkdir()
    (code / "app.py").write_text(textwrap.dedent("def handler(event, context):\n    return event\n"))
    config = FunctionConfig("Fn", "Fn", "app.handler", "python3.11", code)
    auto = AutoBackend(process_options={"cache_dir": tmp_path / "cache"}, client_factory=_no_engine)
    try:
        assert auto.warm_count() == 0
        note = auto.choose(config)
        assert auto.name == "process" and note is not None and "no docker engine" in note
        result = auto.invoke(config, b'{"a": 1}')
        assert result.ok and result.payload == b'{"a": 1}' and result.note and "local process" in result.note
        assert auto.warm_count() == 1  # the process backend's warm runtime, through the contract
    finally:
        auto.close()
    assert auto.warm_count() == 0


@pytest.mark.parametrize("cls", [ProcessBackend, ContainerBackend, AutoBackend])
def test_every_backend_has_the_one_warm_up(cls: type) -> None:
    ours = inspect.signature(Backend.warm_up)
    theirs = inspect.signature(cls.warm_up)
    assert list(theirs.parameters) == list(ours.parameters)
    for name, param in ours.parameters.items():
        assert theirs.parameters[name].kind == param.kind, name
        assert theirs.parameters[name].default == param.default, name
    for duplicate in ("prestart", "prewarm", "prepare"):  # the warm-ups it replaced are gone
        assert not hasattr(cls, duplicate), duplicate


SLOW_INIT = """\
import time

time.sleep(0.4)  # a module-level init the warm-up runs, not the first invoke
LOADED_AT = time.time()


def handler(event, context):
    return {"loaded_at": LOADED_AT}
"""


@pytest.mark.parametrize("wait", [True, False])
def test_auto_without_engine_warms_a_process_runtime(tmp_path: Path, wait: bool) -> None:
    import json
    import time

    code = tmp_path / "code"
    code.mkdir()
    (code / "app.py").write_text(SLOW_INIT)
    config = FunctionConfig("Fn", "Fn", "app.handler", "python3.11", code)
    auto = AutoBackend(process_options={"cache_dir": tmp_path / "cache"}, client_factory=_no_engine)
    try:
        started = time.monotonic()
        auto.warm_up(config, wait=wait)
        took = time.monotonic() - started
        emu = auto._process_backend().emulator_for(config)  # noqa: SLF001
        if wait:  # returns once the init has run: the runtime is warm already
            assert took >= 0.4 and emu.warm_count == 1
        else:  # returns while the runtime starts (serve warms every function side by side this way)
            assert took < 0.4 and emu.warm_count == 0
        assert [rt.alive for rt in emu.runtimes] == [True]
        spawned, clicked = emu.runtimes[0].spawned_at, time.monotonic()
        result = auto.invoke(config, b"{}")
        assert result.ok and json.loads(result.payload)["loaded_at"]
        assert [rt.spawned_at for rt in emu.runtimes] == [spawned] and spawned < clicked  # the warm one
        assert result.cold_start and result.metrics and result.metrics.init_duration_ms  # said on that invoke
    finally:
        auto.close()


def test_a_cancelled_warm_up_starts_nothing(tmp_path: Path) -> None:
    import threading

    code = tmp_path / "code"
    code.mkdir()
    (code / "app.py").write_text(SLOW_INIT)
    config = FunctionConfig("Fn", "Fn", "app.handler", "python3.11", code)
    process = ProcessBackend(cache_dir=tmp_path / "cache")
    cancel = threading.Event()
    cancel.set()
    try:
        process.warm_up(config, cancel=cancel)
        assert process.warm_count() == 0 and not process._emulators  # noqa: SLF001
    finally:
        process.close()
