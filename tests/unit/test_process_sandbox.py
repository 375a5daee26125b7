"""The process backend runs each runtime under bubblewrap on Linux: no view of the host, read-only code."""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import uuid
from pathlib import Path

import pytest

from runner.backends.process.backend import ProcessBackend
from tests.unit.sandbox_helpers import config, need_bwrap

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="namespaces are Linux only")

PROBE = """\
import os


def _try(fn):
    try:
        return ("ok", fn())
    except OSError as exc:
        return ("refused", exc.errno)


def _write(path):
    with open(path, "w") as f:
        f.write("x")
    return path


def _read(path):
    with open(path, "rb") as f:
        return f.read().decode("utf-8", "replace")


def _environs(marker):
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/environ", "rb") as f:
                    if marker.encode() in f.read():
                        found.append(entry)
            except OSError:
                pass
    return found


def handler(event, context):
    return {
        "parent_environ": _try(lambda: _read(f"/proc/{os.getppid()}/environ")),
        "marker_seen_in": _environs(event["marker"]),
        "credentials": _try(lambda: _read(event["credentials"])),
        "etc": _try(lambda: _write("/etc/lambda-studio-probe-" + event["marker"])),
        "code": _try(lambda: _write(os.path.join(os.environ["LAMBDA_TASK_ROOT"], "written.txt"))),
        "tmp_write": _try(lambda: _write("/tmp/own-file")),
        "host_tmp_file": os.path.exists(event["host_tmp_file"]),
        "shadow": _try(lambda: _read("/etc/shadow")),
    }
"""


@pytest.fixture
def probe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    marker = "LSMARK" + uuid.uuid4().hex
    monkeypatch.setenv("LAMBDA_STUDIO_TEST_SECRET", marker)  # in this (the parent's) environment only
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    (home / ".aws" / "credentials").write_text("[default]\naws_secret_access_key = " + marker + "\n")
    monkeypatch.setenv("HOME", str(home))
    code = tmp_path / "code"
    code.mkdir()
    (code / "fn.py").write_text(PROBE)
    host_tmp = Path("/tmp") / f"lambda-studio-host-{marker}"
    host_tmp.write_text("host")
    yield {
        "marker": marker,
        "credentials": str(home / ".aws" / "credentials"),
        "host_tmp_file": str(host_tmp),
        "code": code,
    }
    host_tmp.unlink()
    Path(f"/etc/lambda-studio-probe-{marker}").unlink(missing_ok=True)


def _invoke(backend: ProcessBackend, probe: dict[str, object]):
    event = {k: v for k, v in probe.items() if k != "code"}
    return backend.invoke(config(probe["code"]), json.dumps(event).encode())  # type: ignore[arg-type]


def test_sandboxed_runtime_sees_nothing_of_the_host(tmp_path: Path, probe: dict[str, object]) -> None:
    need_bwrap()
    backend = ProcessBackend(cache_dir=tmp_path / "cache")
    try:
        result = _invoke(backend, probe)
    finally:
        backend.close()
    assert result.ok, result.to_json()
    out = result.payload_json()
    assert probe["marker"] not in json.dumps(out["parent_environ"])  # no view of the IDE's environment
    assert out["marker_seen_in"] == []
    assert out["credentials"][0] == "refused"  # ~/.aws is not there
    assert out["etc"][0] == "refused"
    assert out["code"][0] == "refused"  # code is read-only, as /var/task is
    assert not (Path(probe["code"]) / "written.txt").exists()  # type: ignore[arg-type]
    assert out["tmp_write"] == ["ok", "/tmp/own-file"]  # /tmp works ...
    assert out["host_tmp_file"] is False  # ... and is private
    assert out["shadow"] in (["ok", ""], ["refused", 13], ["refused", 2])  # no password hashes, even as root
    assert result.note is not None and "bubblewrap" in result.note
    assert "not isolation" in result.note and "container backend" in result.note


def test_forced_fallback_runs_unsandboxed_and_says_so_once(
    tmp_path: Path, probe: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAMBDA_STUDIO_SANDBOX", "off")
    lines: list[str] = []
    backend = ProcessBackend(cache_dir=tmp_path / "cache")
    try:
        event = {k: v for k, v in probe.items() if k != "code"}
        cfg = config(probe["code"])  # type: ignore[arg-type]
        first = backend.invoke(cfg, json.dumps(event).encode(), lines.append)
        second = backend.invoke(cfg, json.dumps(event).encode(), lines.append)
    finally:
        backend.close()
    assert first.ok and second.ok
    assert first.payload_json()["host_tmp_file"] is True  # really unsandboxed: it sees the host's /tmp
    assert first.note is not None and "not sandboxed" in first.note and "container backend" in first.note
    assert "LAMBDA_STUDIO_SANDBOX=off" in first.note
    assert second.note is None  # one-time
    assert not any("not sandboxed" in line for line in lines)  # the log is the function's own


def test_missing_bwrap_falls_back_with_a_clear_note(
    tmp_path: Path, probe: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))  # no bwrap (the runtime uses an absolute python)
    backend = ProcessBackend(cache_dir=tmp_path / "cache")
    try:
        result = _invoke(backend, probe)
    finally:
        backend.close()
    assert result.ok, result.to_json()
    assert result.note is not None and "not sandboxed" in result.note and "bwrap" in result.note
    assert "sandbox-tools.sh" in result.note or "bubblewrap" in result.note


def test_sandbox_keeps_layers_and_requirements_readable(tmp_path: Path) -> None:
    need_bwrap()
    code = tmp_path / "code"
    code.mkdir()
    (code / "fn.py").write_text("import shared\n\ndef handler(event, context):\n    return shared.NAME\n")
    layer = tmp_path / "layer" / "python"
    layer.mkdir(parents=True)
    (layer / "shared.py").write_text("NAME = 'from-layer'\n")
    backend = ProcessBackend(cache_dir=tmp_path / "cache")
    try:
        result = backend.invoke(config(code, layer_dirs=(tmp_path / "layer",)), b"{}")
    finally:
        backend.close()
    assert result.ok, result.to_json()
    assert result.payload_json() == "from-layer"
    assert os.path.exists(code / "fn.py")


FILL = """\
def handler(event, context):
    written = 0
    try:
        with open("/tmp/big", "wb") as f:
            for _ in range(event["mb"]):
                f.write(b"\\0" * (1024 * 1024))
                f.flush()
                written += 1
    except OSError:
        pass
    return written
"""


def test_sandbox_tmp_has_the_functions_ephemeral_storage_size(tmp_path: Path) -> None:
    need_bwrap()
    code = tmp_path / "code"
    code.mkdir()
    (code / "fn.py").write_text(FILL)
    backend = ProcessBackend(cache_dir=tmp_path / "cache")
    try:
        result = backend.invoke(config(code, ephemeral_storage_mb=16), b'{"mb": 24}')
    finally:
        backend.close()
    assert result.ok, result.to_json()
    assert 10 <= result.payload_json() < 17


HOME_PROBE = """\
import json
import os


def handler(event, context):
    try:
        with open(event["secret"]) as f:
            seen = f.read()
    except OSError as exc:
        seen = f"refused: {exc.strerror}"
    return {"seen": seen, "home_listing": sorted(os.listdir(event["home"]))}
"""


def test_the_home_folder_is_hidden_but_the_code_in_it_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    need_bwrap()
    # Not under /tmp, which the sandbox replaces anyway: a home folder as on a real machine.
    home = Path(tempfile.mkdtemp(prefix="lambda-studio-home-", dir="/var/tmp"))
    request.addfinalizer(lambda: shutil.rmtree(home, ignore_errors=True))
    code = home / "projects" / "api" / "src"
    code.mkdir(parents=True)
    (code / "fn.py").write_text(HOME_PROBE)
    (home / "notes.txt").write_text("a private note")
    (home / ".config" / "some-tool").mkdir(parents=True)
    (home / ".config" / "some-tool" / "token").write_text("tok")
    monkeypatch.setenv("HOME", str(home))
    backend = ProcessBackend(cache_dir=tmp_path / "cache")
    try:
        event = {"secret": str(home / "notes.txt"), "home": str(home)}
        result = backend.invoke(config(code), json.dumps(event).encode())
    finally:
        backend.close()
    assert result.ok, result.to_json()
    out = result.payload_json()
    assert out["seen"].startswith("refused")
    assert out["home_listing"] == ["projects"]  # only the way to the code


def test_code_reached_through_a_link_in_the_home_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    need_bwrap()
    home = Path(tempfile.mkdtemp(prefix="lambda-studio-home-", dir="/var/tmp"))
    real = Path(tempfile.mkdtemp(prefix="lambda-studio-code-", dir="/var/tmp"))
    request.addfinalizer(lambda: [shutil.rmtree(p, ignore_errors=True) for p in (home, real)])
    (real / "fn.py").write_text("import os\n\ndef handler(event, context):\n    return os.getcwd()\n")
    (home / "project").symlink_to(real, target_is_directory=True)
    monkeypatch.setenv("HOME", str(home))
    backend = ProcessBackend(cache_dir=tmp_path / "cache")
    try:
        result = backend.invoke(config(home / "project"), b"{}")
    finally:
        backend.close()
    assert result.ok, result.to_json()
    assert result.payload_json() in (str(home / "project"), str(real))


def test_runtime_dirs_keep_a_venv_reached_through_its_python_link(tmp_path: Path) -> None:
    from runner.backends.process.sandbox import runtime_dirs

    venv = tmp_path / "home" / "proj" / ".venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").symlink_to(os.path.realpath(sys.executable))
    code = tmp_path / "code"
    code.mkdir()
    (code / "sdk").symlink_to(tmp_path / "home", target_is_directory=True)  # a link, as the SDK folder has
    dirs = runtime_dirs(str(venv / "bin" / "python"), [code])
    assert venv in dirs  # its site-packages stay visible when the home is hidden
    assert code in dirs and (tmp_path / "home") in dirs  # a folder and where its links point
    assert dirs == sorted(dirs, key=lambda p: (str(p).count(os.sep), str(p)))  # outer first: binds nest


OUTSIDE_PROBE = """\
import os
import socket
import ssl


def _look(path):
    try:
        return sorted(os.listdir(path)) if os.path.isdir(path) else open(path).read()
    except OSError as exc:
        return f"refused: {exc.strerror}"


def handler(event, context):
    return {
        "file": _look(event["file"]),
        "folder": _look(event["folder"]),
        "exists": os.path.exists(event["folder"]),
        "top": sorted(os.listdir("/")),
        "certs": ssl.create_default_context().cert_store_stats()["x509_ca"] >= 0,
        "localhost": socket.getaddrinfo("localhost", 80)[0][4][0],
    }
"""


def test_host_folders_outside_the_functions_are_not_visible(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    need_bwrap()
    # A folder of the host outside the home and /tmp (both hidden anyway): /var, /srv, /opt, /mnt are not shown.
    outside = Path(tempfile.mkdtemp(prefix="lambda-studio-outside-", dir="/var/tmp"))
    request.addfinalizer(lambda: shutil.rmtree(outside, ignore_errors=True))
    (outside / "secret.txt").write_text("host data")
    code = tmp_path / "code"
    code.mkdir()
    (code / "fn.py").write_text(OUTSIDE_PROBE)
    backend = ProcessBackend(cache_dir=tmp_path / "cache")
    try:
        event = {"file": str(outside / "secret.txt"), "folder": str(outside)}
        result = backend.invoke(config(code), json.dumps(event).encode())
    finally:
        backend.close()
    assert result.ok, result.to_json()
    out = result.payload_json()
    assert out["file"].startswith("refused") and out["folder"].startswith("refused")
    assert out["exists"] is False
    for hidden in ("srv", "mnt", "media", "run"):  # (/root, /home: shown only as the way to a bound folder)
        assert hidden not in out["top"], out["top"]
    assert out["certs"] is True and out["localhost"] in ("127.0.0.1", "::1")  # the system still works
