"""The window's AWS side against a real moto_server: deploy dialog, explorer, remote invoke, logs, download.

What moto cannot do: it runs no function without docker (the fixture turns docker off), so a remote
invoke answers with the event itself and no log tail; the test checks that echo reaches the result view
and the history. Its code `Location` is a made-up S3 host, so the download hands in the zip bytes moto
was given (download_function still checks them against the CodeSha256 moto reports).
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import boto3
import pytest

from app.settings import Settings
from tests.integration.deploy_helpers import cache_dir
from tests.integration.moto_fixtures import moto_server, moto_url  # noqa: F401
from widgets import aws_explorer
from widgets.editor_tabs import DISCARD
from widgets.jobs import JobBridge
from widgets.main_window import MainWindow

pytestmark = pytest.mark.moto

REGION = "ca-central-1"  # a region of its own: the example's fixed names do not collide with other tests
NAME = "hello-sam-dev-hello"
WAIT_MS = 30_000
SCREENSHOT = Path("/tmp/deploy.png")


@pytest.fixture
def window(qtbot, tmp_path: Path, moto_url: str, monkeypatch: pytest.MonkeyPatch):  # noqa: F811
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("LAMBDA_STUDIO_CONFIG_DIR", str(tmp_path / "config"))
    settings = Settings(tmp_path / "config")
    settings.set("aws_region", REGION)
    settings.set("aws_endpoint_url", moto_url)
    win = MainWindow(settings, jobs=JobBridge(), engine_probe=lambda: "not needed")
    win.tabs.ask_unsaved = lambda paths: DISCARD
    win.ask_recover = lambda paths: False
    win.aws.cache_dir = cache_dir(tmp_path)
    qtbot.addWidget(win)
    win.resize(1200, 800)
    win.show()
    yield win
    win.invoker.close_backends()
    assert win.jobs.shutdown(15_000)


def _client(url: str, service: str):
    return boto3.client(
        service,
        region_name=REGION,
        endpoint_url=url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def _put_log(logs, stream: str, message: str) -> None:
    logs.put_log_events(
        logGroupName=f"/aws/lambda/{NAME}",
        logStreamName=stream,
        logEvents=[{"timestamp": int(time.time() * 1000), "message": message}],
    )


def test_deploy_explore_invoke_logs_download(
    qtbot,
    window: MainWindow,
    example_project: Path,
    tmp_path: Path,
    moto_url: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert window.open_project(example_project)
    window._select_function("HelloFunction")

    # --- plan: a new function; the role is created ------------------------------------------------
    dialog = window.deploy_dialog()
    assert dialog is not None and dialog.endpoint.text() == moto_url
    assert dialog.region.currentText() == REGION
    assert not dialog.deploy_button.isEnabled()  # nothing planned yet
    dialog.start_plan()  # no role for a new function: a blocking problem, in red, and no Deploy
    qtbot.waitUntil(lambda: not dialog.is_running(), timeout=WAIT_MS)
    assert dialog.plan is not None and dialog.plan.problems, dialog.outcome.text()
    assert "execution role" in dialog.details.text() and "#c62828" in dialog.details.text()
    assert not dialog.deploy_button.isEnabled()
    dialog.create_role.setChecked(True)
    assert dialog.plan is None  # the options changed: plan again
    assert dialog.start_plan() is not None
    assert dialog.cancel_button.isEnabled() and not dialog.plan_button.isEnabled()
    qtbot.waitUntil(lambda: not dialog.is_running(), timeout=WAIT_MS)
    plan = dialog.plan
    assert plan is not None, dialog.outcome.text()
    assert plan.action == "create" and not plan.problems
    assert "Create a new function" in dialog.headline.text()
    labels = [dialog.changes.item(r, 0).text() for r in range(dialog.changes.rowCount())]
    assert "Code" in labels and any("untime" in label for label in labels)
    assert "publish a new version" in dialog.details.text()  # the example's local layer
    assert dialog.deploy_button.isEnabled()
    dialog.grab().save(str(SCREENSHOT))
    package_bytes = plan.package.path.read_bytes()  # moto's code Location is made up: kept for Download

    # --- deploy: progress ends at 100 %, the summary says created, moto has it ---------------------
    assert dialog.start_deploy() is not None
    qtbot.waitUntil(lambda: not dialog.is_running(), timeout=WAIT_MS)
    assert dialog.result is not None, dialog.outcome.text()
    assert dialog.result.created and "created" in dialog.outcome.text()
    assert dialog.bar.value() == 100 and dialog.step.text() == "Deployed"
    assert "[create]" in dialog.log.toPlainText()  # the progress steps, as they came
    lam = _client(moto_url, "lambda")
    assert lam.get_function(FunctionName=NAME)["Configuration"]["Handler"] == "app.lambda_handler"
    assert not dialog.deploy_button.isEnabled()  # plan again first
    dialog.grab().save("/tmp/deployed.png")

    # --- a second plan: nothing to do -------------------------------------------------------------
    dialog.use_role.setChecked(True)
    dialog.start_plan()
    qtbot.waitUntil(lambda: not dialog.is_running(), timeout=WAIT_MS)
    assert dialog.plan is not None and dialog.plan.action == "none", dialog.outcome.text()
    assert "Nothing to do" in dialog.headline.text()
    assert "code unchanged, no upload" in dialog.details.text()
    assert not dialog.deploy_button.isEnabled()
    dialog.close()
    qtbot.waitUntil(lambda: window.aws.dialog is None, timeout=5_000)

    # --- explorer: refreshed after the deploy; identity in the status bar --------------------------
    explorer = window.aws.explorer
    qtbot.waitUntil(lambda: NAME in explorer.names(), timeout=WAIT_MS)
    assert "account" in explorer.identity.text()
    assert window.aws.status_label.text().startswith("AWS: arn:aws:")
    explorer.select(NAME)
    qtbot.waitUntil(lambda: "FunctionArn" in explorer.details.toPlainText(), timeout=WAIT_MS)
    assert "Versions" in explorer.details.toPlainText()
    window.docks["awsDock"].raise_()

    # --- remote invoke from the run toolbar: moto echoes the event (it runs no code without docker)
    event = json.loads(window._event_bytes("HelloFunction", window.toolbar.current_event()) or b"{}")
    window.aws.remote_invoke_action.trigger()
    qtbot.waitUntil(lambda: len(window.history.entries()) == 1, timeout=WAIT_MS)
    entry = window.history.entries()[0]
    assert entry.result.backend == "AWS" and entry.result.ok
    assert json.loads(entry.result.payload) == event
    assert window.result_view.result() is entry.result
    assert NAME in (entry.result.note or "")

    # --- the explorer's Invoke: same path, the event editor's text ---------------------------------
    explorer.invoke_button.click()
    qtbot.waitUntil(lambda: len(window.history.entries()) == 2, timeout=WAIT_MS)
    assert window.history.entries()[0].function_id == NAME

    # --- logs written with the logs client appear in the log panel ---------------------------------
    logs = _client(moto_url, "logs")
    logs.create_log_group(logGroupName=f"/aws/lambda/{NAME}")
    logs.create_log_stream(logGroupName=f"/aws/lambda/{NAME}", logStreamName="s1")
    _put_log(logs, "s1", "hello from the cloud")
    explorer.logs_button.click()
    qtbot.waitUntil(
        lambda: any("hello from the cloud" in line for line in window.log_panel.lines()), timeout=WAIT_MS
    )

    # --- follow: a new line arrives by polling; toggling off stops the worker ----------------------
    monkeypatch.setattr(aws_explorer, "FOLLOW_POLL_S", 0.2)
    explorer.follow_button.click()
    assert explorer.is_following() and explorer.follow_button.isChecked()
    time.sleep(0.05)
    _put_log(logs, "s1", "followed line")
    qtbot.waitUntil(
        lambda: any("followed line" in line for line in window.log_panel.lines()), timeout=WAIT_MS
    )
    window.grab().save("/tmp/window-aws.png")
    explorer.follow_button.click()
    assert not explorer.is_following() and not explorer.follow_button.isChecked()

    # --- download as a new project, then open it -----------------------------------------------------
    dest = tmp_path / "downloaded"
    dest.mkdir()
    (dest / "already-here.txt").write_text("x")  # not empty: the project goes into dest/NAME
    explorer.fetch = lambda url: package_bytes
    explorer.choose_folder = lambda: str(dest)
    explorer.ask_open = lambda path: True
    explorer.download_button.click()
    qtbot.waitUntil(
        lambda: window.project is not None and window.project.root == dest / NAME, timeout=WAIT_MS
    )
    assert (dest / NAME / "template.yaml").is_file()
    assert (dest / NAME / "src" / NAME / "app.py").is_file()


def test_closing_the_dialog_while_planning_asks_and_cancels(
    qtbot,
    window: MainWindow,
    example_project: Path,
) -> None:
    assert window.open_project(example_project)
    dialog = window.deploy_dialog()
    # The plan's first step (getting a connection) waits for the test, so it is surely running at close.
    gate = threading.Event()
    connect = window.aws.aws.connection

    def held_connection(*args: Any, **kwargs: Any) -> Any:
        assert gate.wait(WAIT_MS / 1000)
        return connect(*args, **kwargs)

    window.aws.aws.connection = held_connection  # type: ignore[method-assign]
    asked: list[bool] = []
    dialog.ask_cancel = lambda: asked.append(True) or False  # "no": keep going
    job = dialog.start_plan()
    assert job is not None
    dialog.close()
    assert asked == [True] and dialog.isVisible() and dialog.is_running()
    assert not job.cancel_event.is_set()
    dialog.ask_cancel = lambda: True  # "yes": cancel, and the dialog closes once the worker stopped
    dialog.close()
    assert job.cancel_event.is_set() and dialog.isVisible()
    gate.set()
    qtbot.waitUntil(lambda: window.aws.dialog is None, timeout=WAIT_MS)
    assert not job.running and dialog.plan is None  # cancelled: no plan was made
