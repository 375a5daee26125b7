"""Issue 12 on the container backend: concurrent containers then 429, refusals, big logs, live log."""

from __future__ import annotations

import json
import textwrap
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from runner.backends.container.backend import ContainerBackend
from runner.config import FunctionConfig
from runner.emulator import MAX_REQUEST_PAYLOAD
from runner.result import Outcome, SetupError
from tests.integration import docker_fixtures

docker_client = docker_fixtures.docker_client
test_image = docker_fixtures.test_image
pytestmark = [pytest.mark.docker, pytest.mark.timeout(240)]
CODE = """
import sys, time

def slow(event, context):
    time.sleep(event.get("sleep", 1.5))
    return "slept"

def big_line(event, context):
    sys.stdout.write("x" * event["n"] + "\\n")
    sys.stdout.flush()
    return "done"

def chatty(event, context):
    for i in range(event["n"]):
        print(f"{context.aws_request_id} line {i}")
    return "done"

def many_lines(event, context):
    line = "y" * 1023
    for _ in range(event["n"]):
        print(line)
    return "done"
"""


@pytest.fixture(scope="module")
def code(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("ctr-results")
    (root / "app.py").write_text(textwrap.dedent(CODE))
    return root


@pytest.fixture(scope="module")
def backend(
    docker_client: Any, test_image: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ContainerBackend]:
    made = ContainerBackend(
        docker_client, f"pytest-results-{uuid.uuid4().hex[:8]}", tmp_path_factory.mktemp("cache"),
        image_override=test_image, concurrency=2,
    )  # fmt: skip
    yield made
    made.close()


def _config(code: Path, name: str, handler: str, **kw: Any) -> FunctionConfig:
    return FunctionConfig(
        function_id=name, name=name, handler=handler, runtime="python3.11", code_dir=code, **kw
    )


def test_concurrent_invokes_get_their_own_containers_up_to_the_limit_then_429(
    backend: ContainerBackend, code: Path
) -> None:
    cfg = _config(code, "slow", "app.slow", timeout_s=10)
    backend.warm_up(cfg, wait=False)  # one warm container ready; the second is made on demand
    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(lambda _: backend.invoke(cfg, b'{"sleep": 3}'), range(3)))
    outcomes = sorted(r.outcome.value for r in results)
    assert outcomes == ["success", "success", "throttled"], [r.payload for r in results]
    assert len(backend.pool.of("slow")) == 2


def test_oversized_event_refused_before_any_container(backend: ContainerBackend, code: Path) -> None:
    cfg = _config(code, "refused", "app.slow")
    with pytest.raises(SetupError, match="RequestTooLargeException"):
        backend.invoke(cfg, b'"' + b"a" * (MAX_REQUEST_PAYLOAD - 1) + b'"')
    assert backend.pool.of("refused") == []


def test_emulator_refusal_is_never_a_success(backend: ContainerBackend, code: Path) -> None:
    cfg = _config(code, "nan", "app.slow")
    with pytest.raises(SetupError, match="refused \\(400\\)"):
        backend.invoke(cfg, b'{"sleep": NaN}')


def test_an_8_mb_line_keeps_end_and_report_and_the_live_log_has_them(
    backend: ContainerBackend, code: Path
) -> None:
    cfg = _config(code, "bigline", "app.big_line", timeout_s=30, memory_mb=512)
    seen: list[str] = []
    result = backend.invoke(cfg, json.dumps({"n": 8 * 1024 * 1024}).encode(), seen.append)
    assert result.outcome is Outcome.SUCCESS, result.payload
    lines = result.log_text.splitlines()
    assert lines[-1].startswith(f"REPORT RequestId: {result.request_id}")
    assert seen[-1].startswith(f"REPORT RequestId: {result.request_id}")
    assert any(line.startswith(f"END RequestId: {result.request_id}") for line in seen)
    assert max(len(line) for line in seen) <= 256 * 1024


def test_many_log_lines_do_not_crash_the_container(backend: ContainerBackend, code: Path) -> None:
    cfg = _config(code, "manylines", "app.many_lines", timeout_s=60, memory_mb=256)
    seen: list[str] = []
    result = backend.invoke(cfg, json.dumps({"n": 30_000}).encode(), seen.append)  # 30 MB of 1 KB lines
    assert result.outcome is Outcome.SUCCESS, (result.payload, result.note)
    assert seen[0].startswith(f"START RequestId: {result.request_id}")
    assert seen[-1].startswith(f"REPORT RequestId: {result.request_id}")
    assert len(seen) == 30_003


def test_back_to_back_invokes_each_get_exactly_their_own_live_log(
    backend: ContainerBackend, code: Path
) -> None:
    """The answer's log completes the live log at once; the stream's late lines never reach the next one."""
    cfg = _config(code, "chatty", "app.chatty")
    backend.warm_up(cfg)
    for n in (3, 40, 0, 5, 200, 1, 2, 60):  # no pause between them: the stream may lag behind
        live: list[str] = []
        result = backend.invoke(cfg, json.dumps({"n": n}).encode(), live.append)
        assert result.ok
        rid = result.request_id
        assert live == result.log_text.splitlines(), (n, live[:5])
        assert live[0].startswith(f"START RequestId: {rid}") and live[-1].startswith(
            f"REPORT RequestId: {rid}"
        )
        assert sum(line.startswith(f"{rid} line") for line in live) == n
    assert len(backend.pool.of("chatty")) == 1  # all on one warm container
