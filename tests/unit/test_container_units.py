"""Container backend pieces that need no engine: pull progress, error messages, layer merging, images."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker.errors
import pytest

from runner.backends.container.engine import (
    EngineUnavailable,
    ImageUnavailable,
    PullProgress,
    ensure_image,
    explain_engine_error,
    image_for,
    platform_for,
)
from runner.backends.container.launch import merge_layers


class FakeImages:
    def __init__(self) -> None:
        self.present = False

    def get(self, name: str) -> object:
        if not self.present:
            raise docker.errors.ImageNotFound(name)
        return object()


class FakeApi:
    def __init__(self, images: FakeImages, events: list[dict[str, Any]]) -> None:
        self.images, self.events = images, events
        self.pulled: list[tuple[str, str | None, str | None]] = []

    def pull(self, repo: str, tag: str | None = None, **kw: Any) -> Iterator[dict[str, Any]]:
        self.pulled.append((repo, tag, kw.get("platform")))
        yield from self.events
        if not any("error" in e for e in self.events):
            self.images.present = True


class FakeClient:
    def __init__(self, events: list[dict[str, Any]]) -> None:
        self.images = FakeImages()
        self.api = FakeApi(self.images, events)


def test_pull_reports_per_layer_progress() -> None:
    client = FakeClient(
        [
            {"status": "Pulling from lambda/python", "id": "3.12"},
            {"status": "Downloading", "id": "a", "progressDetail": {"current": 50, "total": 100}},
            {"status": "Downloading", "id": "b", "progressDetail": {"current": 0, "total": 300}},
            {"status": "Download complete", "id": "a"},
            {"status": "Downloading", "id": "b", "progressDetail": {"current": 300, "total": 300}},
            {"status": "Pull complete", "id": "b"},
        ]
    )
    seen: list[PullProgress] = []
    ensure_image(client, "public.ecr.aws/lambda/python:3.12", "linux/amd64", seen.append)
    assert client.api.pulled == [("public.ecr.aws/lambda/python", "3.12", "linux/amd64")]
    layer_a = [p for p in seen if p.layer == "a"]
    assert (layer_a[0].current, layer_a[0].total) == (50, 100)
    assert seen[2].percent == pytest.approx(100 * 50 / 400)
    assert seen[-1].percent == pytest.approx(100.0)


def test_pull_failure_names_image_reason_and_alternatives() -> None:
    client = FakeClient(
        [{"error": 'Get "https://public.ecr.aws/v2/": dial tcp: lookup public.ecr.aws: no such host'}]
    )
    with pytest.raises(ImageUnavailable) as info:
        ensure_image(client, "public.ecr.aws/lambda/python:3.12")
    text = str(info.value)
    assert "public.ecr.aws/lambda/python:3.12" in text and "registry cannot be reached" in text
    assert "docker load" in text and "build" in text and "process backend" in text


def test_present_image_is_not_pulled() -> None:
    client = FakeClient([])
    client.images.present = True
    ensure_image(client, "x:1")
    assert client.api.pulled == []


def test_engine_errors_name_the_fix() -> None:
    denied = explain_engine_error(PermissionError(13, "Permission denied"), "unix:///var/run/docker.sock")
    assert isinstance(denied, EngineUnavailable) and "usermod -aG docker" in str(denied)
    down = explain_engine_error(ConnectionRefusedError(111, "Connection refused"), "unix:///x.sock")
    assert "does not answer at unix:///x.sock" in str(down) or "not installed" in str(down)


def test_image_choice() -> None:
    assert image_for("3.12") == "public.ecr.aws/lambda/python:3.12"
    assert image_for("3.11", "arm64", "my/img:{version}-{arch}") == "my/img:3.11-arm64"
    assert platform_for("arm64") == "linux/arm64" and platform_for("x86_64") == "linux/amd64"


def test_layers_merge_in_order_and_rebuild_on_change(tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    (one / "python").mkdir(parents=True)
    (two / "python").mkdir(parents=True)
    (one / "python" / "shared.py").write_text("WHO = 1\n")
    (one / "python" / "only_one.py").write_text("X = 1\n")
    (two / "python" / "shared.py").write_text("WHO = 2\n")
    merged = merge_layers([one, two], tmp_path / "cache")
    assert (merged / "python" / "shared.py").read_text() == "WHO = 2\n"
    assert (merged / "python" / "only_one.py").exists()
    assert merge_layers([one, two], tmp_path / "cache") == merged
    (one / "python" / "new.py").write_text("Y = 1\n")
    again = merge_layers([one, two], tmp_path / "cache")
    assert again != merged and (again / "python" / "new.py").exists()


def test_one_code_stamp_for_hot_reload(tmp_path: Path) -> None:
    """The container pool and the emulator's hot reload use one stamp with one skip list."""
    from runner import emulator
    from runner.backends.container import pool as container_pool

    code = tmp_path / "code"
    code.mkdir()
    (code / "app.py").write_text("x = 1\n")
    before = container_pool._code_stamp([code])
    assert before == emulator.code_stamp([str(code)])
    for cache in (".pytest_cache", ".mypy_cache", "__pycache__"):  # tools' output is not code
        (code / cache).mkdir()
        (code / cache / "junk").write_text("x")
    assert container_pool._code_stamp([code]) == before
    stat = (code / "app.py").stat()
    (code / "app.py").write_text("x = 22\n")  # same mtime tick, other size: still a change
    os.utime(code / "app.py", ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert container_pool._code_stamp([code]) != before


class _Echo:
    """A local HTTP/1.1 server on the emulator's handler: each answer names the connection it came on;
    the server closes a connection after answering when asked to (an emulator's refusal does)."""

    def __enter__(self) -> _Echo:
        import threading

        from runner.emulator.http_base import Handler, QuietServer

        class Answer(Handler):
            def do_POST(self) -> None:  # noqa: N802
                self.read_body(1 << 20)
                status = 403 if self.path == "/refuse" else 200
                if status != 200:
                    self.close_connection = True
                self.reply(status, str(self.client_address[1]).encode())

        self.server = QuietServer(("127.0.0.1", 0), Answer)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def _post(w: Any, path: str = "/x") -> str:
    conn = w.connection(5.0)
    conn.request("POST", path, body=b"{}")
    resp = conn.getresponse()
    body = resp.read().decode()
    w.keep(conn, resp)
    return body


def test_a_warm_container_keeps_its_invoke_connection() -> None:
    """Warm invokes reuse one TCP connection (a new one through docker's port was a millisecond each);
    one the server closed, or that answered with a refusal, is replaced, never reused."""
    from runner.backends.container.warm import WarmContainer

    with _Echo() as echo:
        w = WarmContainer(object(), "F", "h", "emulator", echo.port, 0.0, 0.0)
        first = _post(w)
        assert w.conn is not None
        assert _post(w) == first == _post(w)  # the same client port: the same connection
        assert _post(w, "/refuse") == first and w.conn is None  # refused: closed, not kept
        again = _post(w)
        assert again != first and w.conn is not None
        w.conn.sock.shutdown(socket.SHUT_WR)  # the server sees the end and closes its side
        time.sleep(0.2)
        assert _post(w) != again  # noticed as closed before sending: a new connection, no error
        w.close_connection()
        assert w.conn is None
