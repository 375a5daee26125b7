"""The Deploy dialog's "Application (stack)" mode against a real moto_server: review, timeline, outputs.

moto runs the change set synchronously and reports stack-level events only, so the timeline holds the
stack's own events; the per-resource colours are covered by tests/unit-style recorded events below.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from app.aws_context import AwsContext
from app.deploy.stack.model import Output, StackEvent, StackResult
from app.project.loader import load_project
from app.settings import Settings
from tests.integration.deploy_helpers import cache_dir
from tests.integration.moto_fixtures import aws_env, moto_server, moto_url  # noqa: F401
from widgets.deploy_dialog import DeployDialog
from widgets.jobs import JobBridge
from widgets.stack_timeline import status_color

pytestmark = [pytest.mark.moto, pytest.mark.gui]

REGION = "eu-south-1"  # a region of its own: the example's fixed names do not collide with other tests
WAIT_MS = 120_000
# docs/screenshot-stack-*.png were taken with LAMBDA_STUDIO_SHOTS=docs; by default they go to a temp dir.
SHOTS_ENV = "LAMBDA_STUDIO_SHOTS"


@pytest.fixture
def dialog(qtbot, tmp_path: Path, moto_url: str, example_project: Path, aws_env: None):  # noqa: F811
    settings = Settings(tmp_path / "config")
    settings.set("aws_region", REGION)
    settings.set("aws_endpoint_url", moto_url)
    jobs = JobBridge()
    fn = load_project(example_project).function("HelloFunction")
    assert fn is not None
    dlg = DeployDialog(fn, AwsContext(settings), jobs, cache_dir(tmp_path))
    qtbot.addWidget(dlg)
    dlg.show()
    yield dlg
    assert jobs.shutdown(15_000)


def test_stack_mode_plans_reviews_deploys_and_shows_the_timeline(
    qtbot, dialog: DeployDialog, tmp_path: Path
) -> None:
    shots = Path(os.environ.get(SHOTS_ENV) or tmp_path)
    assert [dialog.modes.tabText(i) for i in range(dialog.modes.count())] == [
        "Application (stack)",
        "This function only (quick)",
    ]
    panel = dialog.stack_panel
    dialog.modes.setCurrentWidget(panel)
    assert panel.stack_name.text() == "hello-sam"  # from samconfig.toml
    assert panel.overrides.text() == "Stage=dev GreetingWord=Hello"
    assert not panel.deploy_button.isEnabled()
    panel.start_plan()
    qtbot.waitUntil(lambda: not panel.is_running(), timeout=WAIT_MS)
    assert panel.plan is not None, panel.outcome.text()
    rows = panel.review.rows()
    assert ("Add", "OrdersQueue", "AWS::SQS::Queue", "") in rows and len(rows) == 10
    assert "10 change(s) to create" in panel.headline.text() and panel.deploy_button.isEnabled()
    dialog.resize(1100, 660)
    dialog.grab().save(str(shots / "screenshot-stack-review.png"))

    panel.start_deploy()
    qtbot.waitUntil(lambda: not panel.is_running(), timeout=WAIT_MS)
    assert panel.result is not None and panel.result.ok, panel.outcome.text()
    statuses = [row[1] for row in panel.timeline.rows()]
    assert statuses[0] == "CREATE_COMPLETE" and "CREATE_IN_PROGRESS" in statuses  # newest first
    assert "✔" in panel.outcome.text() and "CREATE_COMPLETE" in panel.outcome.text()
    assert panel.bar.value() == 100
    dialog.grab().save(str(shots / "screenshot-stack-timeline.png"))

    panel.start_plan()  # the same project again: nothing to deploy
    qtbot.waitUntil(lambda: not panel.is_running(), timeout=WAIT_MS)
    assert "nothing to deploy" in panel.headline.text() and not panel.deploy_button.isEnabled()


def test_closing_after_a_plan_removes_its_change_set(qtbot, dialog: DeployDialog, moto_url: str) -> None:  # noqa: F811
    from app.deploy.stack.events import describe_stack

    panel = dialog.stack_panel
    panel.stack_name.setText("planned-only")
    panel.start_plan()
    qtbot.waitUntil(lambda: not panel.is_running(), timeout=WAIT_MS)
    assert panel.plan is not None and panel.plan.review.change_set_type == "CREATE"
    conn = panel._conn
    assert describe_stack(conn, "planned-only")["StackStatus"] == "REVIEW_IN_PROGRESS"
    job = panel.discard_pending()
    assert job is not None
    qtbot.waitUntil(lambda: describe_stack(conn, "planned-only") is None, timeout=WAIT_MS)
    assert panel.plan is None and panel.discard_pending() is None


def test_refused_parameter_is_shown_and_nothing_runs(qtbot, dialog: DeployDialog) -> None:
    panel = dialog.stack_panel
    panel.stack_name.setText("refused-in-window")
    panel.overrides.setText("Stage=qa")
    job = panel.start_plan()
    assert job is not None
    qtbot.waitUntil(lambda: not panel.is_running(), timeout=WAIT_MS)
    assert (
        panel.plan is None
        and "Stage=&#x27;qa&#x27; is not one of its AllowedValues: dev, prod" in panel.outcome.text()
    )
    assert not panel.deploy_button.isEnabled()
    # the job failed the one way (a UserFacingError through the bridge): its hint, no traceback
    failure = job.failure
    assert failure is not None and failure.expected and not failure.cancelled
    assert failure.hint is not None and failure.hint.startswith("Fix the value")
    assert "Fix the value (--parameter-overrides NAME=VALUE" in panel.outcome.text()
    assert panel.step.text() == "Failed"


def test_cancelled_plan_says_cancelled(qtbot, dialog: DeployDialog) -> None:
    panel = dialog.stack_panel
    panel.stack_name.setText("cancelled-in-window")
    job = panel.start_plan()
    assert job is not None
    panel.cancel()  # before the lint step: plan_stack raises Cancelled there
    qtbot.waitUntil(lambda: not panel.is_running(), timeout=WAIT_MS)
    assert job.failure is not None and job.failure.cancelled and job.failure.traceback is None
    assert panel.plan is None and panel.step.text() == "Cancelled"
    assert "Cancelled: cancelled before linting" in panel.outcome.text()
    assert not panel.deploy_button.isEnabled()


def test_failure_and_outputs_render(qtbot, dialog: DeployDialog) -> None:
    panel = dialog.stack_panel
    t = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)
    events = [
        StackEvent("3", t.replace(second=3), "shop", "AWS::CloudFormation::Stack", "ROLLBACK_COMPLETE"),
        StackEvent(
            "2", t.replace(second=2), "UploadBucket", "AWS::S3::Bucket", "CREATE_FAILED", "name taken"
        ),
        StackEvent("1", t.replace(second=1), "UploadBucket", "AWS::S3::Bucket", "CREATE_IN_PROGRESS"),
    ]
    result = StackResult(
        "shop", "ROLLBACK_COMPLETE", False, list(reversed(events)),
        failure="UploadBucket (AWS::S3::Bucket) could not be created: name taken", hint="delete it",
        outputs=[Output("Url", "https://abc.execute-api.us-east-1.amazonaws.com/", "the API")],
    )  # fmt: skip
    panel.show_result(result)
    assert [r[1] for r in panel.timeline.rows()] == [
        "ROLLBACK_COMPLETE",
        "CREATE_FAILED",
        "CREATE_IN_PROGRESS",
    ]
    assert (
        status_color("CREATE_FAILED") == status_color("ROLLBACK_COMPLETE") != status_color("CREATE_COMPLETE")
    )
    assert "could not be created: name taken" in panel.outcome.text()
    assert "<a href='https://abc.execute-api.us-east-1.amazonaws.com/'>" in panel.outputs.text()
    assert panel.outputs.openExternalLinks()


def test_aws_dock_lists_stacks_with_resources_outputs_events_and_deletes(
    qtbot,
    tmp_path: Path,
    moto_url: str,  # noqa: F811
    aws_env: None,  # noqa: F811
) -> None:
    from app.blueprints import create_project
    from app.deploy.stack.model import StackOptions
    from app.deploy.stack.operations import execute_plan, plan_stack
    from widgets.aws_explorer import AwsExplorer
    from widgets.stack_explorer import console_url

    region = "me-south-1"
    settings = Settings(tmp_path / "config")
    settings.set("aws_region", region)
    settings.set("aws_endpoint_url", moto_url)
    aws, jobs = AwsContext(settings), JobBridge()
    project = create_project("hello-world", tmp_path / "dock", "dockhello")
    conn = aws.connection()
    opts = StackOptions(stack_name="dock", cache_dir=cache_dir(tmp_path), transform="local", poll_s=0.1)
    assert execute_plan(conn, plan_stack(conn, project, opts)).ok
    explorer = AwsExplorer(aws, jobs)
    qtbot.addWidget(explorer)
    stacks = explorer.stacks
    explorer.refresh()
    qtbot.waitUntil(lambda: stacks.stack_names() == ["dock"] and explorer.names() != [], timeout=WAIT_MS)
    item = stacks.stack_item("dock")
    assert item is not None and item.text(1) == "CREATE_COMPLETE"
    item.setExpanded(True)  # reads resources, outputs and recent events
    qtbot.waitUntil(lambda: item.childCount() == 3, timeout=WAIT_MS)
    groups = [item.child(i).text(0) for i in range(3)]
    assert groups[0].startswith("Resources (") and groups[2].startswith("Recent events (")
    resources = item.child(0)
    kinds = {resources.child(i).text(2): resources.child(i) for i in range(resources.childCount())}
    function = kinds["AWS::Lambda::Function"]
    assert function.text(1) == "dockhello-dev-hello"
    stacks._on_double_click(function, 0)  # a stack's function shows its function node
    assert (
        explorer.views.currentWidget() is explorer.tree and explorer.selected_name() == "dockhello-dev-hello"
    )
    opened: list[str] = []
    stacks.open_url = opened.append
    stacks.open_console(function)
    assert opened == [console_url(region, "function", "dockhello-dev-hello")]
    assert opened[0].startswith(
        f"https://{region}.console.aws.amazon.com/lambda/home?region={region}#/functions/"
    )

    stacks.ask_delete = lambda name, note: False
    assert stacks.delete("dock") is None  # not confirmed: nothing happens
    stacks.ask_delete = lambda name, note: name == "dock"
    stacks.delete("dock")
    qtbot.waitUntil(lambda: stacks.stack_names() == [], timeout=WAIT_MS)
    assert jobs.shutdown(15_000)


def test_settings_are_saved_to_samconfig(qtbot, dialog: DeployDialog) -> None:
    from app.deploy.stack.samconfig import DeployConfig

    panel = dialog.stack_panel
    panel.config_env.setText("staging")
    panel.stack_name.setText("hello-staging")
    panel.overrides.setText("Stage=prod GreetingWord='Good day'")
    assert panel.save_button.isEnabled()
    path = panel.save_settings()
    assert path == panel.root / "samconfig.toml" and "Saved the [staging]" in panel.outcome.text()
    saved = DeployConfig.load(panel.root, "staging")
    assert saved.stack_name == "hello-staging" and saved.region == REGION
    assert saved.parameter_overrides == {"Stage": "prod", "GreetingWord": "Good day"}
    assert DeployConfig.load(panel.root).stack_name == "hello-sam"  # the default environment is kept
    assert panel.options().delete_failed is False
    panel.delete_failed.setChecked(True)
    assert panel.options().delete_failed is True


def test_review_of_a_recorded_aws_change_set_marks_danger(
    qtbot, dialog: DeployDialog, tmp_path: Path
) -> None:
    """moto gives no property details: the review table is shown with the recorded AWS response."""
    from app.deploy.stack.changeset import review_from_response
    from tests.unit.test_stack_review import DESCRIBE_CHANGE_SET, NEW_TEMPLATE, OLD_TEMPLATE

    panel = dialog.stack_panel
    dialog.modes.setCurrentWidget(panel)
    review = review_from_response(
        "shop", DESCRIBE_CHANGE_SET["Changes"], change_set_type="UPDATE",
        new_template=NEW_TEMPLATE, old_template=OLD_TEMPLATE,
    )  # fmt: skip
    panel.show_plan(SimpleNamespace(review=review, stack_name="shop"))
    rows = panel.review.rows()
    assert rows[1] == ("⚠ Modify", "OrdersTable", "AWS::DynamoDB::Table", "True")
    assert rows[2] == ("Modify", "KeptBucket", "AWS::S3::Bucket", "True")  # UpdateReplacePolicy: Retain
    first = panel.review.topLevelItem(0)
    assert first.child(0).text(1) == "/Properties/MemorySize: 256 → 512"
    assert "REPLACED" in panel.review.topLevelItem(1).toolTip(0)
    assert "2 lose data" in panel.headline.text()
    dialog.resize(1100, 660)
    shots = Path(os.environ.get(SHOTS_ENV) or tmp_path)
    dialog.grab().save(str(shots / "screenshot-stack-review-recorded.png"))


def test_deploy_from_the_stacks_context_opens_the_dialog_on_that_stack(
    qtbot, tmp_path: Path, example_project: Path
) -> None:
    from PySide6.QtWidgets import QWidget

    from widgets.aws_workbench import AwsWorkbench

    parent = QWidget()
    qtbot.addWidget(parent)
    jobs = JobBridge()
    bench = AwsWorkbench(Settings(tmp_path / "config"), jobs, parent, cache_dir=cache_dir(tmp_path))
    asked: list[bool] = []
    bench.deploy_requested.connect(lambda: asked.append(True))
    bench.explorer.stacks.deploy_requested.emit("shop-prod")
    assert asked == [True]
    fn = load_project(example_project).function("HelloFunction")
    assert fn is not None
    dlg = bench.open_deploy_dialog(fn)
    assert dlg.modes.currentWidget() is dlg.stack_panel and dlg.stack_panel.stack_name.text() == "shop-prod"
    dlg.close()
    again = bench.open_deploy_dialog(fn)  # the Deploy action itself opens on the function
    assert again.modes.currentWidget() is not again.stack_panel
    again.close()
    assert jobs.shutdown(15_000)
