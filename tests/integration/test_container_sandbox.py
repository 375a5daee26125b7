"""Containers look like Lambda's sandbox: read-only root, /tmp tmpfs, uid 993, no capabilities, a token."""

from __future__ import annotations

import http.client
import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from runner.backends.container.backend import ContainerBackend
from runner.backends.container.launch import LABEL_OWNER, LABEL_PROJECT
from runner.backends.container.pool import ContainerPool
from runner.backends.container.sandbox import owner_id, project_label
from runner.config import FunctionConfig
from tests.integration import docker_fixtures

docker_client = docker_fixtures.docker_client
test_image = docker_fixtures.test_image
pytestmark = [pytest.mark.docker, pytest.mark.timeout(180)]

HANDLER = """\
import os


def _write(path):
    try:
        with open(path, "w") as f:
            f.write("x")
        return "ok"
    except OSError as exc:
        return f"refused: {exc.strerror}"


def _fill(path, mb):
    written = 0
    try:
        with open(path, "wb") as f:
            for _ in range(mb):
                f.write(b"\\0" * (1024 * 1024))
                f.flush()
                written += 1
        return written
    except OSError:
        return written
    finally:
        if os.path.exists(path):
            os.unlink(path)


def _status(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key):
                return line.split(":", 1)[1].strip()


def _proc1_environ():
    try:
        with open("/proc/1/environ", "rb") as f:
            return f.read().decode("utf-8", "replace")
    except OSError as exc:
        return f"refused: {exc.strerror}"


def handler(event, context):
    return {
        "uid": os.getuid(),
        "etc": _write("/etc/probe"),
        "var_runtime": _write("/var/runtime/probe"),
        "opt": _write("/opt/probe"),
        "var_task": _write("/var/task/probe"),
        "tmp": _write("/tmp/probe"),
        "tmp_filled_mb": _fill("/tmp/big", event.get("fill_mb", 0)),
        "cap_eff": _status("CapEff:"),
        "no_new_privs": _status("NoNewPrivs:"),
        "env": sorted(os.environ),
        "env_text": "\\n".join(f"{k}={v}" for k, v in os.environ.items()),
        "proc1_environ": _proc1_environ(),
    }
"""


MEMORY_HANDLERS = """\
def fill_tmp(event, context):
    with open("/tmp/big", "wb") as f:
        for _ in range(event["mb"]):
            f.write(b"\\1" * (1024 * 1024))
    import os
    return os.path.getsize("/tmp/big") // (1024 * 1024)


def allocate(event, context):
    block = bytearray(event["mb"] * 1024 * 1024)
    for i in range(0, len(block), 4096):
        block[i] = 1
    return len(block) // (1024 * 1024)
"""


@pytest.fixture(scope="module")
def code(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("sandbox-code")
    (d / "fn.py").write_text(HANDLER)
    (d / "mem.py").write_text(MEMORY_HANDLERS)
    os.chmod(d / "mem.py", 0o644)
    os.chmod(d, 0o755)  # readable by all, as a project folder normally is: Lambda's user runs it
    os.chmod(d / "fn.py", 0o644)
    return d


backend = docker_fixtures.backend_fixture("pytest-sandbox", entrypoint_mode="emulator")


def _config(code: Path, **kw: Any) -> FunctionConfig:
    return FunctionConfig(
        function_id="Sandboxed",
        name="sandboxed",
        handler="fn.handler",
        runtime="python3.11",
        code_dir=code,
        **kw,
    )


def test_container_is_read_only_non_root_and_without_capabilities(
    backend: ContainerBackend, code: Path, docker_client: Any
) -> None:
    cfg = _config(code, ephemeral_storage_mb=16, memory_mb=256)
    result = backend.invoke(cfg, json.dumps({"fill_mb": 24}).encode())
    assert result.ok, result.to_json()
    out = result.payload_json()
    assert out["uid"] == 993  # Lambda's sbx_user1051
    for where in ("etc", "var_runtime", "opt", "var_task"):
        assert out[where].startswith("refused"), (where, out[where])
    assert out["tmp"] == "ok"
    assert 10 <= out["tmp_filled_mb"] < 17  # /tmp is a tmpfs of the function's EphemeralStorage size
    assert int(out["cap_eff"], 16) == 0
    assert out["no_new_privs"] == "1"
    w = backend.pool.current("Sandboxed")
    assert w is not None
    host = docker_client.api.inspect_container(w.id)["HostConfig"]
    assert host["ReadonlyRootfs"] is True
    assert host["PidsLimit"] and 0 < host["PidsLimit"] <= 1024
    assert host["CapDrop"] == ["ALL"]
    assert host["Tmpfs"]["/tmp"].startswith("rw") and "size=16m" in host["Tmpfs"]["/tmp"]


def test_default_tmp_is_512_mb(backend: ContainerBackend, code: Path, docker_client: Any) -> None:
    backend.invoke(_config(code), b"{}")
    w = backend.pool.current("Sandboxed")
    assert w is not None
    assert "size=512m" in docker_client.api.inspect_container(w.id)["HostConfig"]["Tmpfs"]["/tmp"]


def _request(host: str, port: int, token: str | None) -> int:
    conn = http.client.HTTPConnection(host, port, timeout=10)
    try:
        headers = {"X-LambdaStudio-Token": token} if token else {}
        conn.request("POST", "/2015-03-31/functions/function/invocations", body=b"{}", headers=headers)
        resp = conn.getresponse()
        resp.read()
        return resp.status
    finally:
        conn.close()


def test_invoke_api_needs_the_containers_token(
    backend: ContainerBackend, code: Path, docker_client: Any
) -> None:
    result = backend.invoke(_config(code), b"{}")
    assert result.ok, result.to_json()
    w = backend.pool.current("Sandboxed")
    assert w is not None and w.token
    networks = docker_client.api.inspect_container(w.id)["NetworkSettings"]["Networks"]
    bridge_ip = next(n["IPAddress"] for n in networks.values() if n.get("IPAddress"))
    assert _request(bridge_ip, 8080, None) == 403  # another container on the bridge: refused
    assert _request(bridge_ip, 8080, "wrong-" + w.token) == 403
    assert _request("127.0.0.1", w.port, None) == 403  # the publish too, without the token
    assert _request(bridge_ip, 8080, w.token) == 200  # the route works: the refusal is the token's
    out = result.payload_json()
    assert w.token not in out["env_text"] and "LAMBDA_STUDIO_TOKEN" not in out["env"]
    assert w.token not in out["proc1_environ"]  # nor through the emulator's /proc entry


def test_labels_name_the_project_by_path_hash_and_owner(tmp_path: Path, docker_client: Any) -> None:
    a, b = tmp_path / "one" / "api", tmp_path / "two" / "api"  # same folder name, different projects
    a.mkdir(parents=True)
    b.mkdir(parents=True)
    assert project_label(str(a)) != project_label(str(b))
    assert project_label(str(a)) == project_label(str(a / ".." / "api"))
    assert project_label(str(a)).endswith("api") and project_label(None) != "default"
    assert owner_id().count(":") == 2  # host:pid:start-time


def test_orphan_sweep_removes_only_provably_dead_owners(
    docker_client: Any, test_image: str, tmp_path: Path
) -> None:
    project = project_label(str(tmp_path))
    other = project_label(str(tmp_path / "another-project"))
    owners = {
        "dead": f"{os.uname().nodename}:999999:1",  # this host, a pid that does not exist
        "reused": f"{os.uname().nodename}:{os.getpid()}:1",  # this host, a live pid with another start
        "alive": f"{os.uname().nodename}:1:" + owner_id_start(1),  # pid 1 with its real start time
        "elsewhere": "another-host:1:1",  # cannot be proven dead from here
    }
    made = {}
    try:
        for name, owner in owners.items():
            for where, label in (("", project), ("other ", other)):
                made[where + name] = docker_client.containers.create(
                    test_image, labels={LABEL_PROJECT: label, LABEL_OWNER: owner}, entrypoint=["true"]
                )
        # this app's own, of this project (an earlier backend) and of another (another window's: kept)
        for where, label in (("", project), ("other ", other)):
            made[where + "mine"] = docker_client.containers.create(
                test_image, labels={LABEL_PROJECT: label, LABEL_OWNER: owner_id()}, entrypoint=["true"]
            )
        pool = ContainerPool(docker_client, project, tmp_path / "cache")
        removed = set(pool.remove_orphans())
        # a kill -9'd run of another project is swept too: the next run may not open the same project
        expected = {"dead", "reused", "other dead", "other reused", "mine"}
        assert removed == {made[name].id for name in expected}
    finally:
        for c in made.values():
            try:
                c.remove(force=True)
            except Exception:  # noqa: BLE001 - already removed by the sweep
                pass


def owner_id_start(pid: int) -> str:
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[19]


def test_select_backend_labels_by_the_projects_path(
    docker_client: Any, test_image: str, tmp_path: Path
) -> None:
    from app.invoke import select_backend

    made = select_backend(
        "container", project=str(tmp_path), docker_client=docker_client, container_image=test_image
    )
    try:
        assert made.pool.project == project_label(str(tmp_path)) != "default"  # type: ignore[attr-defined]
    finally:
        made.close()


def test_files_in_tmp_do_not_count_toward_the_functions_memory(backend: ContainerBackend, code: Path) -> None:
    # Lambda's /tmp is storage, not memory: 400 MB of files in a 256 MB function with 512 MB of /tmp
    cfg = replace(_config(code, memory_mb=256, ephemeral_storage_mb=512), function_id="TmpFiller")
    cfg = replace(cfg, handler="mem.fill_tmp")
    result = backend.invoke(cfg, b'{"mb": 400}')
    assert result.ok, result.to_json()
    assert result.payload_json() == 400
    used = result.metrics.max_memory_used_mb
    assert used is not None and used < 256, used  # the processes' memory, not the tmpfs


def test_allocating_past_the_memory_size_is_still_killed(backend: ContainerBackend, code: Path) -> None:
    cfg = replace(_config(code, memory_mb=256, ephemeral_storage_mb=512), function_id="Allocator")
    cfg = replace(cfg, handler="mem.allocate")
    result = backend.invoke(cfg, b'{"mb": 300}')
    assert not result.ok, result.to_json()
    assert result.error is not None and result.error.type == "Runtime.ExitError", result.to_json()
    assert "signal: killed" in result.error.message
    used = result.metrics.max_memory_used_mb
    assert used is not None and 200 < used <= 256, used  # its processes at the kill, at most the limit
