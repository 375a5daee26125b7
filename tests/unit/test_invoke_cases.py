"""The differential case list through (a) our emulator + our bootstrap and (b) our emulator + awslambdaric."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from runner.backends.process.backend import ProcessBackend
from runner.config import FunctionConfig
from runner.result import Outcome
from tests.conftest import has_awslambdaric, unavailable
from tests.lambda_cases import (
    CASE_IDS,
    CASES,
    EXPECTED_OUTCOME,
    FUNCTION_NAME,
    MEMORY_MB,
    TIMEOUT_S,
    Case,
    Observed,
    _check_ctx_exact,
    _check_env_full,
    assert_case,
    case_timeout,
    write_project,
)

STACKS = ["bootstrap", "awslambdaric"]


@pytest.fixture(scope="module")
def dirs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return write_project(tmp_path_factory.mktemp("cases"))


@pytest.fixture(scope="module")
def backends(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, ProcessBackend]]:
    cache = tmp_path_factory.mktemp("cache")
    out = {
        "bootstrap": ProcessBackend(cache_dir=cache),
        "awslambdaric": ProcessBackend(cache_dir=cache, runtime_cmd=[sys.executable, "-m", "awslambdaric"]),
    }
    yield out
    for backend in out.values():
        backend.close()


def make_config(dirs: tuple[Path, Path], handler: str, timeout_s: float = TIMEOUT_S) -> FunctionConfig:
    code, layer = dirs
    return FunctionConfig(
        function_id=FUNCTION_NAME,
        name=FUNCTION_NAME,
        handler=handler,
        runtime="python3.11",
        code_dir=code,
        layer_dirs=(layer,),
        environment={"MY_VAR": "my value"},
        memory_mb=MEMORY_MB,
        timeout_s=timeout_s,
    )


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_case(case: Case, stack: str, dirs: tuple[Path, Path], backends: dict[str, ProcessBackend]) -> None:
    if stack == "awslambdaric" and not has_awslambdaric():
        unavailable("awslambdaric is not installed (Linux wheels only; `pip install -e .[test]`)")
    backend = backends[stack]
    config = make_config(dirs, case.handler, case_timeout(case))
    lines: list[str] = []
    result = backend.invoke(config, b'{"name": "world"}', lines.append)
    obs = Observed(not result.ok, result.payload, result.log_text, result.outcome.value)
    assert_case(case, obs)
    assert result.outcome is EXPECTED_OUTCOME.get(
        case.name, Outcome.FUNCTION_ERROR if case.error_type else Outcome.SUCCESS
    )
    # The live sink saw exactly the invoke's log, ending with a measured REPORT line.
    assert "\n".join(lines) + "\n" == result.log_text
    report = result.log_text.splitlines()[-1]
    assert re.fullmatch(
        r"REPORT RequestId: \S+\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB"
        r"\tMax Memory Used: \d+ MB\tInit Duration: \d+\.\d\d ms",
        report,
    ), report
    assert result.metrics is not None and result.cold_start
    assert result.metrics.max_memory_used_mb and result.metrics.max_memory_used_mb < 400
    if case.name == "environment":
        _check_env_full(obs)
    if case.name == "context":
        _check_ctx_exact(obs)
    if case.name == "raises" and stack == "bootstrap":
        assert result.error is not None
        frame = result.error.frames[-1]
        assert frame.local_path == dirs[0] / "app.py" and frame.function == "raises"
        assert frame.code == 'raise ValueError("boom")'
    if case.name == "timeout":
        assert re.search(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \S+ Task timed out after 1\.\d\d seconds$",
                         result.log_text, re.M)  # fmt: skip
        again = backend.invoke(config, b"{}")
        assert again.outcome is Outcome.TIMEOUT and again.cold_start  # the environment was reset
    if case.name in ("sys_exit", "memory_hog"):
        detail = "exit status 3" if case.name == "sys_exit" else "signal: killed"
        assert result.error is not None and result.error.message.endswith(
            f"Runtime exited with error: {detail}"
        )
        assert f"Error: Runtime exited with error: {detail}\nRuntime.ExitError\n" in result.log_text
    if case.name == "memory_hog":
        assert (
            result.metrics.max_memory_used_mb == MEMORY_MB
        )  # measured, capped at the limit as Lambda's cgroup
    if case.name == "success":
        warm = backend.invoke(config, b'{"name": "again"}')
        assert warm.ok and not warm.cold_start and warm.payload_json() == {"hello": "again"}
        assert warm.metrics is not None and warm.metrics.init_duration_ms is None
        assert "Init Duration" not in warm.log_text
