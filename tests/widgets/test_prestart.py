"""The first click is warm: the selected function's runtime is started in the background beforehand."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from app.invoke import select_backend
from app.settings import Settings
from tests.integration import docker_fixtures
from tests.widgets.window_support import close_window, open_window
from widgets.main_window import MainWindow

docker_client = docker_fixtures.docker_client
test_image = docker_fixtures.test_image
pytestmark = [pytest.mark.timeout(180)]

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  AlphaFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.11
  BetaFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.11
"""
HANDLER = """\
import os
import time

LOADED_AT = time.time()


def handler(event, context):
    return {"loaded_at": LOADED_AT, "pid": os.getpid()}
"""


def _project(root: Path) -> Path:
    (root / "src").mkdir(parents=True)
    (root / "template.yaml").write_text(TEMPLATE)
    (root / "src" / "app.py").write_text(HANDLER)
    return root


def _window(qtbot, tmp_path: Path, backend: str, factory=None) -> MainWindow:
    settings = Settings(tmp_path / "config")
    settings.set("backend", backend)
    return open_window(
        qtbot, settings, size=None, backend_factory=factory, engine_probe=lambda: "test", prestart=True
    )


def _close(w: MainWindow) -> None:
    close_window(w, 30_000, close=True)


def test_process_runtime_is_started_before_the_first_click(qtbot, tmp_path):
    w = _window(qtbot, tmp_path, "process")
    try:
        states: list[tuple[str, str]] = []
        w.invoker.prestart_state.connect(lambda fid, state: states.append((fid, state)))
        assert w.open_project(_project(tmp_path / "p"))
        qtbot.waitUntil(lambda: ("AlphaFunction", "ready") in states, timeout=60_000)
        assert states[0] == ("AlphaFunction", "warming")  # visible in the status bar while it runs
        assert "AlphaFunction: warm" in w.prestart_label.text()
        clicked = time.time()
        with qtbot.waitSignal(w.invoker.finished, timeout=60_000) as blocker:
            w.toolbar.invoke_action.trigger()
        payload = json.loads(blocker.args[0].result.payload)
        assert payload["loaded_at"] < clicked  # the module was imported by the pre-start, not the click
        assert w.invoker.warm_count() == 1
    finally:
        _close(w)


def test_a_new_selection_cancels_the_older_prestart(qtbot, tmp_path):
    w = _window(qtbot, tmp_path, "process")
    try:
        states: list[tuple[str, str]] = []
        w.invoker.prestart_state.connect(lambda fid, state: states.append((fid, state)))
        assert w.open_project(_project(tmp_path / "p"))
        w.prestart_now()  # Alpha, at once
        w.toolbar.select_function("BetaFunction")  # Beta, after the selection rests
        qtbot.waitUntil(lambda: ("BetaFunction", "ready") in states, timeout=60_000)
        assert w.invoker._prestart_job is None  # bounded: one pre-start at a time, none left running
        assert ("BetaFunction", "warming") in states
    finally:
        _close(w)


@pytest.mark.docker
def test_container_is_started_before_the_first_click(qtbot, tmp_path, docker_client, test_image):
    def factory(name: str):
        return select_backend(
            "container", docker_client=docker_client, container_image=test_image, project="prestart-test"
        )

    w = _window(qtbot, tmp_path, "container", factory)
    try:
        states: list[tuple[str, str]] = []
        w.invoker.prestart_state.connect(lambda fid, state: states.append((fid, state)))
        assert w.open_project(_project(tmp_path / "p"))
        qtbot.waitUntil(lambda: ("AlphaFunction", "ready") in states, timeout=150_000)
        assert w.invoker.warm_count() == 1  # the container runs before anyone clicked
        backend = w.invoker._backends["container"]
        before = backend.pool.current("AlphaFunction")
        with qtbot.waitSignal(w.invoker.finished, timeout=60_000) as blocker:
            w.toolbar.invoke_action.trigger()
        assert blocker.args[0].result.ok and blocker.args[0].result.backend == "container"
        assert backend.pool.current("AlphaFunction") is before  # the click used the pre-started container
    finally:
        _close(w)
