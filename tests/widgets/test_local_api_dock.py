"""The Local API dock on the real process backend: start, routes, a request through the workbench and
its response, history replay, save-as-event (the exact event), copy as curl, JWT preset, stop."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.events.store import EventStore
from app.invoke import select_backend
from app.project.loader import load_project
from tests.unit.local_api_project import PNG, write_project
from widgets.jobs import JobBridge
from widgets.local_api_dock import LocalApiDock


@pytest.fixture
def bridge():
    b = JobBridge()
    yield b
    assert b.shutdown()


@pytest.fixture
def dock(qtbot, bridge, tmp_path: Path):
    widget = LocalApiDock(bridge, lambda: select_backend("process"))
    qtbot.addWidget(widget)
    widget.port.setValue(0)
    widget.set_project(load_project(write_project(tmp_path / "proj")))
    yield widget
    widget.stop()
    qtbot.waitUntil(lambda: not widget.is_running(), timeout=15_000)


def _start(qtbot, dock: LocalApiDock) -> None:
    dock.start()
    qtbot.waitUntil(lambda: dock.api is not None, timeout=20_000)


def _select(dock: LocalApiDock, method: str, path: str) -> None:
    for row in range(dock.routes.rowCount()):
        if dock.routes.item(row, 0).text() == method and dock.routes.item(row, 1).text() == path:
            dock.routes.selectRow(row)
            return
    raise AssertionError(f"no route {method} {path}")


def test_start_shows_routes_and_a_request_shows_its_response(qtbot, dock: LocalApiDock) -> None:
    _start(qtbot, dock)
    assert dock.start_button.text() == "Stop" and "http://127.0.0.1:" in dock.url.text()
    paths = {dock.routes.item(r, 1).text() for r in range(dock.routes.rowCount())}
    assert {"/v2/{name}", "/items/{id}", "/openapi/plain", "$default"} <= paths
    assert dock.diagnostics.isVisibleTo(dock) and "template.yaml:" in dock.diagnostics.text()
    assert "GET /items/{other}" in dock.diagnostics.text()  # the conflicting route, with its line
    _select(dock, "GET", "/v2/{name}")
    assert (dock.workbench.method.currentText(), dock.workbench.path.text()) == ("GET", "/v2/name")
    dock.workbench.path.setText("/v2/ada")
    dock.workbench.query.setText("x=1")
    dock.workbench.send_button.click()
    qtbot.waitUntil(lambda: "200 OK" in dock.response.status.text(), timeout=20_000)
    body = json.loads(dock.response.text.toPlainText())
    assert body["rawPath"] == "/v2/ada" and body["queryStringParameters"] == {"x": "1"}
    assert "ms" in dock.response.status.text()
    qtbot.waitUntil(lambda: dock.history.count() == 1, timeout=5_000)
    assert dock.history.item(0).text().startswith("GET /v2/ada → 200 · Echo")


def test_binary_response_shows_as_an_image(qtbot, dock: LocalApiDock) -> None:
    _start(qtbot, dock)
    _select(dock, "GET", "/v2image")
    dock.workbench.send_button.click()
    qtbot.waitUntil(lambda: "200 OK" in dock.response.status.text(), timeout=20_000)
    assert f"{len(PNG)} bytes" in dock.response.status.text()
    # A truncated PNG does not decode: the body falls back to a hex dump of the bytes.
    assert dock.response.text.toPlainText().startswith("00000000  89 50 4e 47")


def test_history_replay_and_save_the_exact_event(qtbot, dock: LocalApiDock) -> None:
    _start(qtbot, dock)
    _select(dock, "POST", "/v2/{name}")
    dock.workbench.path.setText("/v2/bob")
    dock.workbench.body.setPlainText('{"k": 1}')
    dock.workbench.send_button.click()
    qtbot.waitUntil(lambda: dock.history.count() == 1, timeout=20_000)
    exchange = dock.exchanges[0]
    changed: list[tuple[str, list[str]]] = []
    dock.events_changed.connect(lambda fid, names: changed.append((fid, names)))
    path = dock.save_exchange(exchange, "post-bob")
    assert changed == [("Echo", ["post-bob"])]
    assert path is not None
    saved = EventStore(dock.project.root).load("Echo", "post-bob")
    assert saved == exchange.event and saved["body"] == '{"k": 1}' and saved["routeKey"] == "POST /v2/{name}"
    dock.history.setCurrentRow(0)
    dock.replay_selected()
    qtbot.waitUntil(lambda: dock.history.count() == 2, timeout=20_000)
    again = dock.exchanges[1].event
    assert again["body"] == '{"k": 1}' and again["rawPath"] == "/v2/bob"


def test_copy_as_curl(qtbot, dock: LocalApiDock) -> None:
    dock.workbench.method.setCurrentText("POST")
    dock.workbench.path.setText("/v2/x")
    dock.workbench.headers.setPlainText("X-One: 1")
    dock.workbench.body.setPlainText('{"a": "b c"}')
    text = dock.copy_curl(dock.workbench.request())
    assert text.startswith("curl -i -X POST -H 'X-One: 1' -H 'Content-Type: application/json'")
    assert text.endswith("""--data-binary '{"a": "b c"}' http://127.0.0.1:0/v2/x""")


def test_jwt_preset_signs_with_the_project_key(qtbot, dock: LocalApiDock) -> None:
    dock.workbench.auth.setCurrentIndex(2)
    dock.workbench.auth_value.setText('{"sub": "ada"}')
    request = dock.workbench.request()
    token = dict(request.headers)["Authorization"].removeprefix("Bearer ")
    import jwt

    jwks = json.loads((dock.project.root / ".lambda-studio" / "jwks.json").read_text())
    key = jwt.PyJWKSet.from_dict(jwks).keys[0]
    assert jwt.decode(token, key.key, algorithms=["RS256"])["sub"] == "ada"
    dock.workbench.auth_value.setText("[1]")
    with pytest.raises(ValueError, match="JSON object"):
        dock.workbench.request()


def test_stop_frees_the_port(qtbot, dock: LocalApiDock) -> None:
    _start(qtbot, dock)
    url = dock.api.listeners[0].url
    dock.stop()
    qtbot.waitUntil(lambda: not dock.is_running(), timeout=15_000)
    assert dock.url.text() == "stopped" and dock.start_button.text() == "Start"
    import urllib.error
    import urllib.request

    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url + "/v2/x", timeout=2)


def test_a_taken_port_is_a_message_not_a_traceback(qtbot, dock: LocalApiDock) -> None:
    import socket

    messages: list[str] = []
    dock.message.connect(messages.append)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        dock.port.setValue(taken.getsockname()[1])
        dock.start()
        qtbot.waitUntil(lambda: not dock.is_running(), timeout=15_000)
    assert messages and messages[-1].startswith("Local API: cannot listen on 127.0.0.1:")
    assert "Traceback" not in messages[-1] and dock.start_button.text() == "Start"


def test_a_saved_template_is_served_on_the_running_server(qtbot, dock: LocalApiDock) -> None:
    _start(qtbot, dock)
    root = dock.project.root
    template = (root / "template.yaml").read_text()
    (root / "template.yaml").write_text(template.replace("Path: /v2image", "Path: /v2picture"))
    first, url = dock.api, dock.url.text()
    _select(dock, "GET", "/fail")
    dock.workbench.path.setText("/fail?kept=1")  # what the user typed stays through the reload

    def paths() -> set[str]:
        return {dock.routes.item(r, 1).text() for r in range(dock.routes.rowCount())}

    dock.update_project(load_project(root))
    qtbot.waitUntil(lambda: "/v2picture" in paths(), timeout=30_000)
    assert "/v2image" not in paths()
    assert dock.is_running() and dock.api is first and dock.url.text() == url  # same server, same ports
    assert {dock.routes.item(i.row(), 1).text() for i in dock.routes.selectedIndexes()} == {"/fail"}
    assert dock.workbench.path.text() == "/fail?kept=1"
