"""The container backend on the real engine: the differential cases in both entrypoint modes, and the pool."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest

from runner.backends.container.backend import ContainerBackend
from runner.backends.container.engine import EngineUnavailable, ImageUnavailable, connect
from runner.backends.container.launch import LABEL_FUNCTION, LABEL_HASH, LABEL_OWNER, LABEL_PROJECT
from runner.config import FunctionConfig
from runner.result import InvokeResult, Outcome
from tests import lambda_cases as cases
from tests.integration import docker_fixtures
from tests.integration.container_handlers import payload_of, write_handlers

docker_client = docker_fixtures.docker_client  # fixtures, shared with other docker test modules
test_image = docker_fixtures.test_image
pytestmark = [pytest.mark.docker, pytest.mark.timeout(120)]
MODES = ("emulator", "image")


@pytest.fixture(scope="module")
def code_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_handlers(tmp_path_factory.mktemp("cases"))


@pytest.fixture(scope="module")
def backends(
    docker_client: Any, test_image: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, ContainerBackend]]:
    cache = tmp_path_factory.mktemp("container-cache")
    made = {
        mode: ContainerBackend(
            docker_client,
            f"pytest-{mode}-{uuid.uuid4().hex[:8]}",
            cache,
            image_override=test_image,
            entrypoint_mode=mode,
        )
        for mode in MODES
    }
    yield made
    for backend in made.values():
        backend.close()


def config(code: Path, name: str, handler: str, **kw: Any) -> FunctionConfig:
    return FunctionConfig(
        function_id=name, name=name, handler=handler, runtime="python3.11", code_dir=code, **kw
    )


def invoke(backend: ContainerBackend, cfg: FunctionConfig, event: Any = None, **kw: Any) -> InvokeResult:
    return backend.invoke(cfg, json.dumps(event if event is not None else {}).encode(), **kw)


def container_id(backend: ContainerBackend, function_id: str) -> str:
    w = backend.pool.current(function_id)
    assert w is not None
    return w.id


def exists(client: Any, cid: str) -> bool:
    try:
        client.containers.get(cid)
    except docker.errors.NotFound:
        return False
    return True


# -- the differential case list of the process backend, through both entrypoint modes --
@pytest.fixture(scope="module")
def case_dirs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return cases.write_project(tmp_path_factory.mktemp("diff"))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", cases.CASES, ids=cases.CASE_IDS)
def test_differential_case(
    backends: dict[str, ContainerBackend], case_dirs: tuple[Path, Path], case: cases.Case, mode: str
) -> None:
    # case.ours_only names where bare RIE differs (timeout text, no memory limit); in our container the
    # engine enforces MemorySize and the backend maps RIE's timeout text, so image mode agrees too.
    backend = backends[mode]
    code, layer = case_dirs
    cfg = FunctionConfig(
        function_id=f"diff-{cases.CASE_IDS.index(case.name)}",
        name=cases.FUNCTION_NAME,
        handler=case.handler,
        runtime="python3.11",
        code_dir=code,
        layer_dirs=(layer,),
        environment={"MY_VAR": "my value"},
        memory_mb=cases.MEMORY_MB,
        timeout_s=cases.case_timeout(case),
    )
    lines: list[str] = []
    try:
        r = backend.invoke(cfg, b'{"name": "world"}', lines.append)
    finally:
        w = backend.pool.current(cfg.function_id)
        if w is not None:
            backend.pool.discard(w)  # keep the engine light: one case container at a time
    obs = cases.Observed(not r.ok, r.payload, r.log_text, r.outcome.value)
    if mode == "image" and case.name == "environment":
        case = dataclasses.replace(case, check=None)  # RIE sends no trace id header, so no _X_AMZN_TRACE_ID
    cases.assert_case(case, obs)
    assert r.outcome is cases.EXPECTED_OUTCOME.get(
        case.name, Outcome.FUNCTION_ERROR if case.error_type else Outcome.SUCCESS
    ), (r.outcome, r.payload[:300])
    assert r.backend == "container" and r.cold_start
    assert r.metrics is not None and r.metrics.max_memory_used_mb
    assert r.metrics.max_memory_used_mb <= cases.MEMORY_MB
    report = [line for line in r.log_text.splitlines() if line.startswith("REPORT RequestId:")]
    if mode == "emulator" or r.ok:  # RIE prints no REPORT line when init fails or the runtime dies
        assert report and "Init Duration: " in report[-1]
        # measured, not the limit echoed; a memory kill reports the limit, as Lambda does
        assert ("Max Memory Used: 128 MB" in report[-1]) == (case.name == "memory_hog"), report[-1]
    if mode == "emulator":
        assert "\n".join(lines) + "\n" == r.log_text  # the live sink saw exactly the invoke's log
        if case.name == "environment":
            cases._check_env_full(obs)
        if case.name == "raises":
            assert r.error is not None and r.error.frames[-1].local_path == code / "app.py"
    if case.name in ("sys_exit", "memory_hog"):
        detail = "exit status 3" if case.name == "sys_exit" else "signal: killed"
        assert r.error is not None and r.error.message.endswith(f"Runtime exited with error: {detail}")


# -- the warm pool --
def test_warm_reuse_measures_memory_and_init(backends: dict[str, ContainerBackend], code_dir: Path) -> None:
    backend = backends["emulator"]
    cfg = config(code_dir, "warm", "counter.handler")
    first = invoke(backend, cfg)
    cid = container_id(backend, "warm")
    second = invoke(backend, cfg)
    assert payload_of(first.payload)["count"] == 1 and payload_of(second.payload)["count"] == 2
    assert container_id(backend, "warm") == cid
    assert first.cold_start and not second.cold_start
    assert first.metrics and first.metrics.init_duration_ms and first.metrics.init_duration_ms > 0
    assert second.metrics and second.metrics.init_duration_ms is None
    assert second.metrics.max_memory_used_mb and 5 < second.metrics.max_memory_used_mb < 128
    assert "Max Memory Used: 128 MB" not in second.log_text


@pytest.mark.parametrize("mode", MODES)
def test_container_settings(
    backends: dict[str, ContainerBackend], code_dir: Path, docker_client: Any, mode: str
) -> None:
    backend = backends[mode]
    cfg = config(code_dir, f"settings-{mode}", "ok.handler", memory_mb=256)
    assert invoke(backend, cfg).ok
    attrs = docker_client.containers.get(container_id(backend, cfg.function_id)).attrs
    # emulator mode: room for a full /tmp tmpfs (512 MB), the emulator holds the function to 256 MB
    expected_mb = 256 + (cfg.ephemeral_storage_mb if mode == "emulator" else 0)
    assert attrs["HostConfig"]["Memory"] == expected_mb * 1024 * 1024
    bindings = [b for bs in attrs["NetworkSettings"]["Ports"].values() for b in bs or []]
    assert bindings and all(b["HostIp"] == "127.0.0.1" for b in bindings)
    labels = attrs["Config"]["Labels"]
    assert labels[LABEL_PROJECT] == backend.pool.project and labels[LABEL_FUNCTION] == cfg.function_id
    assert labels[LABEL_HASH].startswith(cfg.config_hash())
    task = [m for m in attrs["Mounts"] if m["Destination"] == "/var/task"]
    assert task and task[0]["RW"] is False


def test_hot_reload_without_restart(
    backends: dict[str, ContainerBackend], code_dir: Path, tmp_path: Path, docker_client: Any
) -> None:
    backend = backends["emulator"]
    code = tmp_path / "code"
    code.mkdir()
    shutil.copy(code_dir / "counter.py", code / "counter.py")
    cfg = config(code, "reload", "counter.handler")
    assert payload_of(invoke(backend, cfg).payload) == {"count": 1, "version": 1}
    assert payload_of(invoke(backend, cfg).payload) == {"count": 2, "version": 1}
    cid = container_id(backend, "reload")
    started = docker_client.containers.get(cid).attrs["State"]["StartedAt"]
    (code / "counter.py").write_text(
        (code / "counter.py").read_text().replace("'version': 1", "'version': 2")
    )
    os.utime(code / "counter.py", (time.time() + 1, time.time() + 1))
    r = invoke(backend, cfg)
    assert payload_of(r.payload) == {"count": 1, "version": 2}, r.payload
    assert r.cold_start and container_id(backend, "reload") == cid
    # The same container kept running: the emulator inside re-imported the code (no stop/start, which a
    # wall-clock bound could only guess at on a loaded machine).
    state = docker_client.containers.get(cid).attrs["State"]
    assert state["Running"] and state["StartedAt"] == started


def test_image_mode_code_change_gets_fresh_container(
    backends: dict[str, ContainerBackend], code_dir: Path, tmp_path: Path
) -> None:
    backend = backends["image"]
    code = tmp_path / "code"
    code.mkdir()
    shutil.copy(code_dir / "counter.py", code / "counter.py")
    cfg = config(code, "reload-image", "counter.handler")
    assert payload_of(invoke(backend, cfg).payload) == {"count": 1, "version": 1}
    (code / "counter.py").write_text(
        (code / "counter.py").read_text().replace("'version': 1", "'version': 2")
    )
    os.utime(code / "counter.py", (time.time() + 1, time.time() + 1))
    assert payload_of(invoke(backend, cfg).payload) == {"count": 1, "version": 2}


def test_config_change_replaces_container(
    backends: dict[str, ContainerBackend], code_dir: Path, docker_client: Any
) -> None:
    backend = backends["emulator"]
    first = config(code_dir, "cfgchange", "ok.handler", environment={"STAGE": "a"})
    assert invoke(backend, first).ok
    old = container_id(backend, "cfgchange")
    assert invoke(backend, config(code_dir, "cfgchange", "ok.handler", environment={"STAGE": "b"})).ok
    new = container_id(backend, "cfgchange")
    assert new != old and not exists(docker_client, old) and exists(docker_client, new)


@pytest.mark.parametrize("mode", MODES)
def test_memory_kill_then_fresh(backends: dict[str, ContainerBackend], code_dir: Path, mode: str) -> None:
    backend = backends[mode]
    cfg = config(code_dir, f"hog-{mode}", "hog.handler", memory_mb=128)
    r = invoke(backend, cfg, {"mb": 400})
    assert r.outcome is Outcome.CRASH, (r.outcome, r.payload)
    assert r.error is not None and r.error.type == "Runtime.ExitError"
    assert "Runtime exited with error: signal: killed" in r.error.message
    again = invoke(backend, cfg, {"mb": 16})
    assert again.ok and payload_of(again.payload) == 1 and again.cold_start


@pytest.mark.parametrize("mode", MODES)
def test_timeout_then_cold(backends: dict[str, ContainerBackend], code_dir: Path, mode: str) -> None:
    backend = backends[mode]
    cfg = config(code_dir, f"sleepy-{mode}", "sleeper.handler", timeout_s=1.0)
    t = time.perf_counter()
    r = invoke(backend, cfg, {"s": 60})
    # stopped at the timeout, not at the end of the sleep (a cold start included)
    assert time.perf_counter() - t < 30
    assert r.outcome is Outcome.TIMEOUT, (r.outcome, r.payload)
    assert "Task timed out after 1.0" in r.log_text + (r.error.message if r.error else "")
    again = invoke(backend, cfg, {"s": 0})
    assert again.ok and again.cold_start


def test_killed_mid_invoke_is_exit_error(backends: dict[str, ContainerBackend], code_dir: Path) -> None:
    backend = backends["emulator"]
    cfg = config(code_dir, "killed", "sleeper.handler", timeout_s=30.0)
    assert invoke(backend, cfg, {"s": 0}).ok
    w = backend.pool.current("killed")
    assert w is not None
    threading.Timer(0.5, lambda: w.container.kill()).start()
    r = invoke(backend, cfg, {"s": 20})
    assert r.outcome is Outcome.CRASH and r.error is not None and r.error.type == "Runtime.ExitError"
    assert "signal: killed" in r.error.message
    # What is known, nothing made up: the time until the kill (about 0.5 s; not 0), its peak memory
    # unknown (a docker kill is not an out-of-memory kill, and the dead container's cgroup is gone).
    assert r.metrics is not None and 0 < r.metrics.duration_ms < 20_000, r.metrics
    assert r.metrics.billed_duration_ms >= 1
    assert r.metrics.max_memory_used_mb is None and r.metrics.memory_size_mb == cfg.memory_mb
    again = invoke(backend, cfg, {"s": 0})
    assert again.ok and container_id(backend, "killed") != w.id


def test_cancel_stops_the_invoke(backends: dict[str, ContainerBackend], code_dir: Path) -> None:
    backend = backends["emulator"]
    cfg = config(code_dir, "cancelled", "sleeper.handler", timeout_s=30.0)
    cancel = threading.Event()
    threading.Timer(0.8, cancel.set).start()
    t = time.perf_counter()
    r = invoke(backend, cfg, {"s": 60}, cancel=cancel)
    assert r.outcome is Outcome.CANCELLED and time.perf_counter() - t < 30  # well before the sleep's end


def test_log_lines_stream_to_the_sink(backends: dict[str, ContainerBackend], code_dir: Path) -> None:
    lines: list[str] = []
    r = invoke(backends["emulator"], config(code_dir, "sink", "prints.handler"), sink=lines.append)
    assert r.ok and "hello from print" in lines and any(line.startswith("REPORT") for line in lines)


def test_layers_merged_in_order(
    backends: dict[str, ContainerBackend], code_dir: Path, tmp_path: Path
) -> None:
    one, two = tmp_path / "one" / "python", tmp_path / "two" / "python"
    one.mkdir(parents=True)
    two.mkdir(parents=True)
    (one / "layer_mod.py").write_text("WHO = 'layer one'\n")
    (two / "layer_mod.py").write_text("WHO = 'layer two'\n")
    layers = (one.parent, two.parent)
    for backend in backends.values():
        single = invoke(backend, config(code_dir, "layer1", "uses_layer.handler", layer_dirs=layers[:1]))
        assert payload_of(single.payload) == "layer one", single.payload
        merged = invoke(backend, config(code_dir, "layer2", "uses_layer.handler", layer_dirs=layers))
        assert payload_of(merged.payload) == "layer two", merged.payload


# -- start-up, shutdown, failures --
def test_idle_containers_stop(docker_client: Any, test_image: str, code_dir: Path, tmp_path: Path) -> None:
    with ContainerBackend(
        docker_client,
        f"pytest-idle-{uuid.uuid4().hex[:8]}",
        tmp_path,
        image_override=test_image,
        idle_timeout_s=0.3,
    ) as backend:
        assert invoke(backend, config(code_dir, "idle", "ok.handler")).ok
        cid = container_id(backend, "idle")
        deadline = time.monotonic() + 10
        while exists(docker_client, cid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not exists(docker_client, cid) and backend.pool.current("idle") is None


def test_close_removes_all_and_orphans_are_cleaned(
    docker_client: Any, test_image: str, code_dir: Path, tmp_path: Path
) -> None:
    project = f"pytest-orphans-{uuid.uuid4().hex[:8]}"
    backend = ContainerBackend(docker_client, project, tmp_path, image_override=test_image)
    assert invoke(backend, config(code_dir, "a", "ok.handler")).ok
    assert invoke(backend, config(code_dir, "b", "none.handler")).ok
    ids = [container_id(backend, "a"), container_id(backend, "b")]
    backend.close()
    assert not any(exists(docker_client, cid) for cid in ids)

    def leftover(owner: str) -> Any:
        labels = {LABEL_PROJECT: project, LABEL_FUNCTION: "x", LABEL_HASH: "h", LABEL_OWNER: owner}
        return docker_client.containers.run(
            test_image, detach=True, entrypoint=["sleep", "60"], labels=labels
        )

    crashed = leftover(f"{os.uname().nodename}:999999999")
    alive = leftover(f"{os.uname().nodename}:1")  # another app instance still running (pid 1 lives)
    try:
        ContainerBackend(docker_client, project, tmp_path, image_override=test_image).close()
        assert not exists(docker_client, crashed.id) and exists(docker_client, alive.id)
    finally:
        for c in (crashed, alive):
            if exists(docker_client, c.id):
                c.remove(force=True)


def test_daemon_unavailable_is_a_clear_error(tmp_path: Path) -> None:
    dead = f"unix://{tmp_path}/no-docker.sock"
    with pytest.raises(EngineUnavailable) as info:
        connect(dead)
    assert "does not answer" in str(info.value) and "process backend" in str(info.value)
    client = docker.DockerClient(base_url=dead, version="1.41")
    with pytest.raises(EngineUnavailable, match="does not answer"):
        ContainerBackend(client, "pytest-dead", tmp_path)


def test_missing_image_names_it_and_the_alternatives(
    docker_client: Any, code_dir: Path, tmp_path: Path
) -> None:
    image = "lambda-studio-test/does-not-exist:0"
    with (
        ContainerBackend(
            docker_client, f"pytest-noimg-{uuid.uuid4().hex[:6]}", tmp_path, image_override=image
        ) as backend,
        pytest.raises(ImageUnavailable) as info,
    ):
        invoke(backend, config(code_dir, "noimg", "ok.handler"))
    text = str(info.value)
    assert image in text and "docker load" in text and "process backend" in text


# -- backend selection through the CLI --
def test_cli_container_and_auto(
    docker_client: Any, test_image: str, example_project: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    from app.cli import main

    monkeypatch.setenv("LAMBDA_STUDIO_IMAGE", test_image)
    monkeypatch.setenv("LAMBDA_STUDIO_CACHE", str(example_project.parent / "cache"))
    for backend in ("container", "auto"):
        assert (
            main(
                [
                    "invoke",
                    str(example_project),
                    "HelloFunction",
                    "--backend",
                    backend,
                    "--json",
                    "-e",
                    str(example_project / "events" / "HelloFunction" / "get-hello.json"),
                ]
            )
            == 0
        )
        result = json.loads(capsys.readouterr().out)
        assert result["backend"] == "container" and result["outcome"] == "success", result
        assert result["note"] is None and result["metrics"]["max_memory_used_mb"] > 0


def test_cli_without_engine(example_project: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    from app.cli import main

    monkeypatch.setenv("DOCKER_HOST", f"unix://{example_project.parent}/no-docker.sock")
    assert main(["invoke", str(example_project), "HelloFunction", "--backend", "container"]) == 2
    assert "does not answer" in capsys.readouterr().err
    assert main(["invoke", str(example_project), "HelloFunction", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["backend"] == "process" and "not in a container: no docker engine" in result["note"]


def test_auto_falls_back_when_the_image_is_missing(
    docker_client: Any, code_dir: Path, tmp_path: Path
) -> None:
    from app.invoke import select_backend

    backend = select_backend(
        "auto",
        docker_client=docker_client,
        container_image="lambda-studio-test/missing:0",
        cache_dir=tmp_path,
    )
    try:
        r = backend.invoke(config(code_dir, "auto-noimg", "ok.handler"), b"{}")
    finally:
        backend.close()
    assert r.ok and r.backend == "process" and backend.name == "process"
    assert r.note and "lambda-studio-test/missing:0 is not on this machine" in r.note
