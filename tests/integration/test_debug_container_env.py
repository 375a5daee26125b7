"""A container debug invoke runs in the environment of a plain invoke: requirements and layers importable.

The image here boots like AWS's python images: their /var/runtime/bootstrap.py puts /opt/python on
sys.path only when PYTHONPATH is unset, so anything the debugger adds to PYTHONPATH hides layers and
requirements (`No module named 'humanize'` / `'common'` in the example project).
"""

from __future__ import annotations

import io
import json
import tarfile
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.invoke import function_config
from app.project.loader import load_project
from runner.backends.container.backend import ContainerBackend
from runner.debug.session import DebugClock, DebugOptions, DebugSession, debug_paths, runtime_rules
from runner.ports import free_port
from runner.result import InvokeResult, Outcome
from tests.integration import docker_fixtures

docker_client = docker_fixtures.docker_client
test_image = docker_fixtures.test_image
pytestmark = [pytest.mark.docker, pytest.mark.timeout(300)]

# Written for this test after AWS's documented behaviour (sys.path: task root, then
# /opt/python/lib/pythonX.Y/site-packages and /opt/python, unless PYTHONPATH is set).
AWS_LIKE_BOOTSTRAP_PY = """\
import os
import sys

if "PYTHONPATH" not in os.environ:
    version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    sys.path[0:0] = [f"/opt/python/lib/{version}/site-packages", "/opt/python"]
sys.path.insert(0, os.environ.get("LAMBDA_TASK_ROOT", "/var/task"))
os.chdir(os.environ.get("LAMBDA_TASK_ROOT", "/var/task"))

from awslambdaric.__main__ import main  # noqa: E402

main([sys.argv[0], os.environ["_HANDLER"]])
"""
AWS_LIKE_BOOTSTRAP = """\
#!/bin/sh
export AWS_EXECUTION_ENV=AWS_Lambda_python3.11
exec /var/lang/bin/python3.11 /var/runtime/bootstrap.py
"""


@pytest.fixture(scope="module")
def aws_like_image(docker_client: Any, test_image: str) -> str:
    """The test image with a bootstrap that treats PYTHONPATH as AWS's images do (built once, kept)."""
    dockerfile = (
        f"FROM {test_image}\n"
        "COPY bootstrap.py /var/runtime/bootstrap.py\n"
        "COPY bootstrap /var/runtime/bootstrap\n"
    )
    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w") as tar:
        for name, text, mode in (
            ("Dockerfile", dockerfile, 0o644),
            ("bootstrap.py", AWS_LIKE_BOOTSTRAP_PY, 0o644),
            ("bootstrap", AWS_LIKE_BOOTSTRAP, 0o755),
        ):
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), mode
            tar.addfile(info, io.BytesIO(data))
    context.seek(0)
    tag = "lambda-studio-test/python-awspath:3.11"
    docker_client.images.build(fileobj=context, custom_context=True, tag=tag, rm=True)
    return tag


@pytest.fixture
def backend(docker_client: Any, aws_like_image: str, tmp_path: Path) -> Iterator[ContainerBackend]:
    b = ContainerBackend(
        docker_client,
        f"debug-env-{uuid.uuid4().hex[:8]}",
        tmp_path / "cache",
        image_override=aws_like_image,
    )
    yield b
    b.close()


def _debug_invoke(backend: ContainerBackend, config: Any, event: bytes) -> InvokeResult:
    """A debug invoke that a DAP client attaches to and lets run to the end (no breakpoints)."""
    port, clock = free_port(), DebugClock()
    out: dict[str, Any] = {"lines": []}

    def work() -> None:
        out["result"] = backend.invoke(
            config, event, out["lines"].append, debug=DebugOptions(port, clock=clock)
        )

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    session = DebugSession("127.0.0.1", port, debug_paths(config, "container"), clock=clock)
    try:
        session.start({}, timeout=120, alive=thread.is_alive, rules=runtime_rules("container"))
        thread.join(120)
    finally:
        session.close()
    assert not thread.is_alive(), out["lines"]
    return out["result"]


@pytest.mark.parametrize(
    ("function_id", "event_file"),
    [("HelloFunction", "HelloFunction/get-hello.json"), ("OrdersFunction", "OrdersFunction/two-orders.json")],
)
def test_debug_invoke_imports_requirements_and_layers_like_a_plain_invoke(
    backend: ContainerBackend, example_project: Path, function_id: str, event_file: str
) -> None:
    project = load_project(example_project)
    spec = project.function(function_id)
    assert spec is not None
    config = function_config(project, spec)
    event = (example_project / "events" / event_file).read_bytes()
    plain = backend.invoke(config, event)
    assert plain.outcome is Outcome.SUCCESS, plain.log_text  # the image itself is fine
    debugged = _debug_invoke(backend, config, event)
    assert debugged.outcome is Outcome.SUCCESS, debugged.log_text
    assert "debug" in (debugged.note or "")
    body = json.loads(debugged.payload)
    assert body.keys() == json.loads(plain.payload).keys()
