"""Debug invokes in the container backend: debugpy mounted into the container, real sessions."""

from __future__ import annotations

import json
import socket
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from runner.backends.container.backend import ContainerBackend
from runner.config import FunctionConfig
from runner.debug.dap import Breakpoint
from runner.debug.session import DebugClock, DebugOptions, DebugSession, debug_paths, runtime_rules
from runner.ports import free_port
from runner.result import InvokeResult, Outcome
from tests.integration import docker_fixtures

docker_client = docker_fixtures.docker_client
test_image = docker_fixtures.test_image
pytestmark = [pytest.mark.docker, pytest.mark.timeout(120)]

HANDLER = """\
from helper import scale


def handler(event, context):
    total = 0
    for i in range(event.get("n", 3)):
        total += i
    doubled = scale(total)
    return {"total": total, "doubled": doubled, "task": __file__}
"""
HELPER = "def scale(x):\n    factor = 2\n    return x * factor\n"
LINE_LOOP_BODY, LINE_DOUBLED = 7, 8


@pytest.fixture
def code_dirs(tmp_path: Path) -> tuple[Path, Path]:
    code, layer = tmp_path / "src", tmp_path / "layer"
    (layer / "python").mkdir(parents=True)
    code.mkdir()
    (code / "app.py").write_text(HANDLER)
    (layer / "python" / "helper.py").write_text(HELPER)
    return code, layer


@pytest.fixture
def backend(docker_client: Any, test_image: str, tmp_path: Path) -> Iterator[ContainerBackend]:
    b = ContainerBackend(
        docker_client, f"debug-test-{uuid.uuid4().hex[:8]}", tmp_path / "cache", image_override=test_image
    )
    yield b
    b.close()


def _run(
    backend: ContainerBackend, config: FunctionConfig, event: dict[str, Any], port: int, clock: DebugClock
) -> dict[str, Any]:
    out: dict[str, Any] = {"lines": []}

    def work() -> None:
        out["result"] = backend.invoke(
            config, json.dumps(event).encode(), out["lines"].append, debug=DebugOptions(port, clock=clock)
        )

    out["thread"] = threading.Thread(target=work, daemon=True)
    out["thread"].start()
    return out


def test_container_breakpoint_step_evaluate_condition(
    backend: ContainerBackend, code_dirs: tuple[Path, Path]
) -> None:
    code, layer = code_dirs
    config = FunctionConfig("Fn", "Fn", "app.handler", "python3.11", code, (layer,), timeout_s=1.0)
    port = free_port()
    clock = DebugClock()  # tells the emulator in the container when the debugger holds the runtime
    run = _run(backend, config, {"n": 5}, port, clock)
    session = DebugSession("127.0.0.1", port, debug_paths(config, "container"), clock=clock)
    app = str(code / "app.py")
    # conditional: stops only when i == 3
    session.start(
        {app: [Breakpoint(LINE_LOOP_BODY, condition="i == 3")]},
        timeout=60,
        alive=run["thread"].is_alive,
        rules=runtime_rules("container"),
    )
    stop = session.wait_stopped(60)
    assert stop is not None, run["lines"]
    assert (
        stop.path == str((code / "app.py").resolve()) and stop.line == LINE_LOOP_BODY
    )  # /var/task mapped back
    assert stop.frames[0]["source"]["remotePath"] == "/var/task/app.py"
    assert session.locals()["i"] == "3"
    assert [f["name"] for f in stop.frames] == ["handler"]  # awslambdaric's frames hidden
    # a breakpoint in the layer (/opt/python/helper.py), set while running; the loop one removed
    session.set_breakpoints(app, [])
    helper = str(layer / "python" / "helper.py")
    session.set_breakpoints(helper, [Breakpoint(3)])
    stop = session.wait_stopped(30, after=session.continue_())
    assert stop is not None and stop.path == str(Path(helper).resolve()) and stop.line == 3
    scopes = session.scopes()
    local_vars = {v["name"]: v["value"] for v in session.variables(scopes[0]["variablesReference"])}
    assert local_vars == {"x": "10", "factor": "2"}
    stop = session.wait_stopped(30, after=session.step_over())
    assert stop is not None and stop.frames[0]["name"] == "handler"  # returned into the handler
    assert session.evaluate("total + 100")["result"] == "110"
    threading.Event().wait(1.2)  # past the 1 s timeout: not enforced while debugging
    session.continue_()
    run["thread"].join(60)
    session.close()
    result: InvokeResult = run["result"]
    assert result.outcome is Outcome.SUCCESS, result.log_text
    assert result.payload_json() == {"total": 10, "doubled": 20, "task": "/var/task/app.py"}
    assert result.backend == "container" and "debug" in (result.note or "")
    assert backend.pool.current("Fn") is None  # the debug container is not kept


def test_auto_debug_backend_and_attach_help(
    docker_client: Any, test_image: str, code_dirs: tuple[Path, Path], tmp_path: Path
) -> None:
    from app.debug import attach_help, debug_backend

    code, layer = code_dirs
    config = FunctionConfig("Fn", "Fn", "app.handler", "python3.11", code, (layer,))
    options = {"docker_client": docker_client, "cache_dir": tmp_path / "cache", "project": "debug-auto"}
    backend, note = debug_backend("auto", config, container_image=test_image, **options)
    try:
        assert backend.name == "container" and note is None
    finally:
        backend.close()
    backend, note = debug_backend("auto", config, container_image="lambda-studio-test/absent:0", **options)
    assert backend.name == "process" and note and "absent" in note
    backend.close()
    launch = json.loads(attach_help(config, "container", 5678).split("client:\n", 1)[1])
    mappings = launch["configurations"][0]["pathMappings"]
    assert {"localRoot": str(code.resolve()), "remoteRoot": "/var/task"} in mappings
    assert {"localRoot": str(layer.resolve()), "remoteRoot": "/opt"} in mappings


def test_container_timeout_counts_once_the_debugger_lets_it_run(
    backend: ContainerBackend, tmp_path: Path
) -> None:
    code = tmp_path / "slow"
    code.mkdir()
    (code / "app.py").write_text("import time\n\n\ndef handler(event, context):\n    time.sleep(5)\n")
    config = FunctionConfig("Slow", "Slow", "app.handler", "python3.11", code, timeout_s=1.0)
    port, clock = free_port(), DebugClock()
    run = _run(backend, config, {}, port, clock)
    session = DebugSession("127.0.0.1", port, debug_paths(config, "container"), clock=clock)
    session.start({}, timeout=60, alive=run["thread"].is_alive)  # attached: the clock runs
    run["thread"].join(60)
    session.close()
    result: InvokeResult = run["result"]
    assert result.outcome is Outcome.TIMEOUT, result.log_text


def test_waiting_is_announced_only_once_debugpy_listens(
    backend: ContainerBackend, code_dirs: tuple[Path, Path]
) -> None:
    """A client that attaches the moment it is told to (as VS Code does) gets an answer, not a reset."""
    code, layer = code_dirs
    config = FunctionConfig("Fn", "Fn", "app.handler", "python3.11", code, (layer,))
    port = free_port()
    answers: list[dict[str, Any]] = []
    errors: list[BaseException] = []

    def attach_now() -> None:  # on the backend's thread, right when "waiting for a debugger" is said
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
                body = json.dumps({"seq": 1, "type": "request", "command": "initialize", "arguments": {}})
                conn.sendall(f"Content-Length: {len(body)}\r\n\r\n{body}".encode())
                reader = conn.makefile("rb")
                length = 0
                while (line := reader.readline().strip()) != b"":
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                answers.append(json.loads(reader.read(length)))
        except BaseException as exc:  # a reset is what this test is about
            errors.append(exc)

    debug = DebugOptions(port, wait_for_client=False, on_listening=attach_now)
    result = backend.invoke(config, b'{"n": 2}', debug=debug)
    assert errors == [] and answers, (errors, answers)
    assert answers[0]["type"] in ("response", "event")  # debugpy spoke DAP on the first connection
    assert result.ok and result.payload_json()["total"] == 1
