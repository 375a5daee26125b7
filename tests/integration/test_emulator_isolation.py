"""User modules named like the emulator's own (emulator, cli, runtime_api...) never reach the emulator."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from runner.backends.container.backend import ContainerBackend
from runner.backends.container.launch import EMULATOR_COMMAND
from runner.backends.process.backend import ProcessBackend
from runner.config import FunctionConfig
from runner.emulator import supervisor
from tests.integration import docker_fixtures

docker_client = docker_fixtures.docker_client
test_image = docker_fixtures.test_image

EMULATOR_DIR = Path(supervisor.__file__).resolve().parent
BOOTSTRAP = EMULATOR_DIR.parent / "backends" / "process" / "bootstrap.py"
TRAP = 'raise RuntimeError("the user module {name} was imported by the emulator")\n'
HANDLER = """\
import runtime_api


def handler(event, context):
    return {"mine": runtime_api.WHO}
"""


def _package_modules() -> list[str]:
    names = sorted(p.stem for p in EMULATOR_DIR.glob("*.py") if not p.stem.startswith("__"))
    assert {"cli", "runtime_api", "supervisor", "launch"} <= set(names)
    return names


@pytest.fixture(scope="module")
def code(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A function whose folder holds a module named like every module of the package (and the package):
    its own runtime_api.py works for it; any other, imported by the emulator, raises."""
    d = tmp_path_factory.mktemp("shadowing-code")
    for name in _package_modules():
        (d / f"{name}.py").write_text(TRAP.format(name=name))
    (d / "runtime_api.py").write_text('WHO = "the function\'s own runtime_api"\n')  # no RuntimeApiHandler
    (d / EMULATOR_DIR.name).mkdir()
    (d / EMULATOR_DIR.name / "__init__.py").write_text(TRAP.format(name="package " + EMULATOR_DIR.name))
    (d / "fn.py").write_text(HANDLER)
    for path in [d, *d.rglob("*")]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)  # readable by Lambda's user in the container
    return d


def _config(code: Path, pythonpath: str) -> FunctionConfig:
    # PYTHONPATH pointing at the code is a real template setting; it reaches the emulator's environment.
    return FunctionConfig(
        function_id="Shadowing",
        name="shadowing",
        handler="fn.handler",
        runtime="python3.11",
        code_dir=code,
        environment={"PYTHONPATH": pythonpath},
    )


def test_launcher_ignores_user_modules_in_cwd_and_pythonpath(code: Path) -> None:
    """The container's command with this python and this folder, started in the code folder with
    PYTHONPATH on it."""
    python, *flags, launcher = EMULATOR_COMMAND
    assert python == "python3" and launcher.endswith("/launch.py")
    env = {**os.environ, "PYTHONPATH": str(code)}
    cmd = [sys.executable, *flags, str(EMULATOR_DIR / "launch.py"), "--port", "0",
           "--function-name", "shadowing", "--handler", "fn.handler", "--cwd", str(code), "--timeout", "5",
           "--", sys.executable, "-u", str(BOOTSTRAP)]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=code, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        assert line.startswith("lambda-studio-emulator listening on 127.0.0.1:"), line + proc.stderr.read()
        port = int(line.rsplit(":", 1)[1])
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("POST", "/2015-03-31/functions/function/invocations", b"{}")
        resp = conn.getresponse()
        body = resp.read()
        conn.close()
        assert resp.status == 200 and resp.getheader("X-Amz-Function-Error") is None, body
        assert json.loads(body) == {"mine": "the function's own runtime_api"}
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=10)
    assert proc.returncode == 0


def test_process_backend_with_user_modules_named_like_the_emulator(code: Path, tmp_path: Path) -> None:
    backend = ProcessBackend(cache_dir=tmp_path / "cache")
    try:
        result = backend.invoke(_config(code, str(code)), b"{}")
    finally:
        backend.close()
    assert result.ok, result.to_json()
    assert result.payload_json() == {"mine": "the function's own runtime_api"}


@pytest.fixture(scope="module")
def container_backend(
    docker_client: Any, test_image: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ContainerBackend]:
    made = ContainerBackend(
        docker_client,
        f"pytest-shadowing-{uuid.uuid4().hex[:8]}",
        tmp_path_factory.mktemp("shadowing-cache"),
        image_override=test_image,
        entrypoint_mode="emulator",
    )
    yield made
    made.close()


@pytest.mark.docker
@pytest.mark.timeout(180)
def test_container_backend_with_user_modules_named_like_the_emulator(
    container_backend: ContainerBackend, code: Path
) -> None:
    """The package is mounted as a folder next to /var/task; the emulator still starts and serves."""
    result = container_backend.invoke(_config(code, "/var/task"), b"{}")
    assert result.ok, result.to_json()
    assert result.payload_json() == {"mine": "the function's own runtime_api"}
