"""End to end with the container backend on the real docker engine (skipped locally without it, required in CI)."""

from __future__ import annotations

import json

import pytest

from app.invoke import select_backend
from app.settings import Settings
from tests.integration import docker_fixtures
from widgets.editor_tabs import DISCARD
from widgets.jobs import JobBridge
from widgets.main_window import MainWindow

docker_client = docker_fixtures.docker_client
test_image = docker_fixtures.test_image
pytestmark = [pytest.mark.docker, pytest.mark.timeout(180)]


def test_invoke_in_a_container_shows_payload_report_and_logs(
    qtbot, tmp_path, example_project, docker_client, test_image
):
    def factory(name: str):
        return select_backend(
            "container", docker_client=docker_client, container_image=test_image, project="widgets-e2e"
        )

    jobs = JobBridge()
    window = MainWindow(
        Settings(tmp_path / "cfg"), jobs=jobs, backend_factory=factory, engine_probe=lambda: "test"
    )
    window.tabs.ask_unsaved = lambda paths: DISCARD
    qtbot.addWidget(window)
    try:
        assert window.open_project(example_project)
        window.tree.select_function("OrdersFunction")
        window.toolbar.select_event("two-orders")
        window.toolbar.set_backend("container")
        with qtbot.waitSignal(window.invoker.finished, timeout=150_000) as blocker:
            window.toolbar.invoke_action.trigger()
        entry = blocker.args[0]
        assert entry.result.ok, entry.result.to_json()
        assert entry.result.backend == "container"
        assert "batchItemFailures" in json.loads(window.result_view.payload_text())
        assert window.result_view.metric_labels["Memory Size"].text() == "512 MB"
        assert window.result_view.metric_labels["Max Memory Used"].text().endswith(" MB")
        lines = window.log_panel.lines()
        assert any(line.startswith("START RequestId") for line in lines)
        assert any(line.startswith("END RequestId") for line in lines)
        assert any(line.startswith("REPORT RequestId") for line in lines)
        assert window.invoker.warm_count() >= 1
    finally:
        window.invoker.close_backends()
        window.close()
        assert jobs.shutdown(30_000)
