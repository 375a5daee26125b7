"""The DAP client's path mapping and message pieces, and the launch.json snippet (no adapter needed)."""

from __future__ import annotations

import json
from pathlib import Path

from runner.debug.dap import Breakpoint, PathMapper
from runner.debug.session import DebugOptions, launch_json


def test_path_mapper_container_roots(tmp_path: Path) -> None:
    code, layer = tmp_path / "src", tmp_path / "layer"
    code.mkdir()
    layer.mkdir()
    paths = PathMapper([(code, "/var/task"), (layer, "/opt")])
    assert paths.to_remote(str(code / "pkg" / "app.py")) == "/var/task/pkg/app.py"
    assert paths.to_remote(str(layer / "python" / "util.py")) == "/opt/python/util.py"
    assert paths.to_local("/var/task/pkg/app.py") == str(code.resolve() / "pkg" / "app.py")
    assert paths.to_local("/opt/python/util.py") == str(layer.resolve() / "python" / "util.py")
    assert paths.to_local("/var/lang/lib/python3.11/json/__init__.py").startswith("/var/lang")
    assert paths.to_local("/var/taskforce/x.py") == "/var/taskforce/x.py"  # a prefix, not a parent


def test_path_mapper_identity_without_pairs() -> None:
    assert PathMapper().to_remote("/home/me/app.py") == "/home/me/app.py"
    assert PathMapper().to_local("/home/me/app.py") == "/home/me/app.py"


def test_breakpoint_to_dap() -> None:
    assert Breakpoint(3).to_dap() == {"line": 3}
    bp = Breakpoint(4, condition="i == 2", log_message="i={i}", hit_condition="2")
    assert bp.to_dap() == {"line": 4, "condition": "i == 2", "logMessage": "i={i}", "hitCondition": "2"}


def test_launch_json_and_runtime_args(tmp_path: Path) -> None:
    snippet = json.loads(launch_json(5678, mappings=[(tmp_path, "/var/task")]))
    config = snippet["configurations"][0]
    assert config["request"] == "attach" and config["connect"] == {"host": "127.0.0.1", "port": 5678}
    assert config["pathMappings"] == [{"localRoot": str(tmp_path), "remoteRoot": "/var/task"}]
    assert DebugOptions(5678).runtime_args() == [
        "-m",
        "debugpy",
        "--listen",
        "127.0.0.1:5678",
        "--wait-for-client",
    ]
    assert DebugOptions(1, wait_for_client=False).runtime_args("0.0.0.0")[-1] == "0.0.0.0:1"


def test_process_attach_help_has_no_path_mappings(tmp_path: Path) -> None:
    from app.debug import attach_help, debug_backend
    from runner.config import FunctionConfig

    config = FunctionConfig("Fn", "Fn", "app.handler", "python3.11", tmp_path)
    backend, note = debug_backend("process", config, cache_dir=tmp_path / "cache", images={"x": "y"})
    assert backend.name == "process" and note is None
    backend.close()
    text = attach_help(config, "process", 5999)
    assert "127.0.0.1:5999" in text and "pathMappings" not in text


def test_listening_in_reads_proc_net_tcp() -> None:
    from runner.debug.session import listening_in

    tables = (
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
        "   0: 00000000:162E 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1\n"
        "   1: 0100007F:1F90 0100007F:A2C4 01 00000000:00000000 00:00000000 00000000     0        0 2\n"
    )
    assert listening_in(tables, 5678)  # 0x162E, state 0A (LISTEN)
    assert not listening_in(tables, 8080)  # 0x1F90 is an established connection, not a listener
    assert not listening_in("", 5678)
