"""The deploy dialog's failure paths without AWS: a connection error, a half-updated function, cancel on close."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from app.aws_context import AwsContext
from app.deploy import deploy as deploy_module
from app.deploy.errors import KIND_CREDENTIALS, KIND_PARTIAL, DeployError
from app.deploy.progress import Cancelled, Progress
from app.settings import Settings
from tests.integration.deploy_helpers import make_function
from widgets.deploy_dialog import DeployDialog
from widgets.jobs import JobBridge

PARTIAL = (
    "the code was updated (CodeSha256 abc). NOT applied: memory (MB) is still 256. "
    "The function now runs the new code with its old configuration."
)


@pytest.fixture
def make_dialog(qtbot, tmp_path: Path):
    jobs = JobBridge()

    def make(connect=None) -> DeployDialog:
        aws = AwsContext(Settings(tmp_path / "config"), connect)
        dialog = DeployDialog(make_function(tmp_path), aws, jobs, tmp_path / "cache")
        qtbot.addWidget(dialog)
        dialog.show()
        return dialog

    yield make
    assert jobs.shutdown(10_000)


def test_a_connection_error_shows_message_and_hint(qtbot, make_dialog) -> None:
    def refuse(profile, region, endpoint):
        raise DeployError(
            "The SSO session of profile dev has expired.",
            "Run: aws sso login --profile dev",
            KIND_CREDENTIALS,
        )

    dialog = make_dialog(refuse)
    dialog.start_plan()
    qtbot.waitUntil(lambda: not dialog.is_running(), timeout=10_000)
    text = dialog.outcome.text()
    assert "has expired" in text and "aws sso login --profile dev" in text
    assert dialog.plan is None and not dialog.deploy_button.isEnabled() and dialog.plan_button.isEnabled()
    assert dialog.step.text() == "Failed"


def test_a_half_updated_function_is_reported_and_asks_for_a_new_plan(
    qtbot, make_dialog, monkeypatch: pytest.MonkeyPatch
) -> None:
    def execute(conn, plan, *, sink, cancel):
        sink(Progress("update-code", "updating the code"))
        raise DeployError(PARTIAL, "Deploy again to apply the rest.", KIND_PARTIAL)

    monkeypatch.setattr(deploy_module, "execute", execute)
    dialog = make_dialog()
    dialog.plan, dialog._conn = SimpleNamespace(problems=[], action="update"), object()
    dialog._update_buttons()
    assert dialog.deploy_button.isEnabled()
    dialog.start_deploy()
    qtbot.waitUntil(lambda: not dialog.is_running(), timeout=10_000)
    assert "NOT applied: memory (MB) is still 256" in dialog.outcome.text()
    assert "Deploy again to apply the rest." in dialog.outcome.text()
    assert "[update-code] updating the code" in dialog.log.toPlainText()
    assert dialog.plan is None and not dialog.deploy_button.isEnabled()
    assert "plan again" in dialog.headline.text()


def test_upload_progress_moves_the_bar(make_dialog) -> None:
    dialog = make_dialog()
    dialog._on_progress(Progress("upload", "uploading to S3", 0.42))
    assert dialog.bar.value() == 42 and dialog.step.text() == "Uploading 42%"
    dialog._on_progress(Progress("wait", "waiting"))
    assert dialog.bar.maximum() == 0 and dialog.step.text() == "Waiting for Lambda…"


def test_closing_mid_deploy_asks_cancels_and_closes_when_stopped(
    qtbot, make_dialog, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = threading.Event()

    def execute(conn, plan, *, sink, cancel):
        started.set()
        deadline = time.monotonic() + 10
        while not cancel.is_set() and time.monotonic() < deadline:
            time.sleep(0.01)
        raise Cancelled("cancelled before updating the configuration")

    monkeypatch.setattr(deploy_module, "execute", execute)
    dialog = make_dialog()
    dialog.plan, dialog._conn = SimpleNamespace(problems=[], action="update"), object()
    dialog.start_deploy()
    assert started.wait(5)
    answers = [False, True]
    dialog.ask_cancel = lambda: answers.pop(0)
    dialog.close()  # "no": the deploy goes on, the dialog stays
    assert dialog.isVisible() and dialog.is_running()
    dialog.reject()  # Escape asks the same question; "yes" cancels and closes once the worker stops
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=10_000)
    assert not dialog.is_running() and "Cancelled" in dialog.outcome.text()


def test_a_remote_function_error_becomes_a_function_error_result() -> None:
    from app.aws_context import remote_result
    from app.deploy.remote import RemoteInvokeResult
    from runner.result import Outcome

    payload = b'{"errorType": "KeyError", "errorMessage": "\'name\'", "stackTrace": ["  File \\"/var/task/app.py\\", line 3, in handler\\n    x\\n"]}'
    answer = RemoteInvokeResult(200, payload, "Unhandled", "START\nboom\nEND", "$LATEST", "req-1", 0.05)
    result = remote_result("HelloFunction", "hello-fn", "eu-west-1", answer)
    assert result.outcome is Outcome.FUNCTION_ERROR and result.backend == "AWS"
    assert result.error is not None and result.error.type == "KeyError"
    assert result.error.frames[0].line == 3
    assert result.log_text == "START\nboom\nEND" and result.request_id == "req-1"
    assert "hello-fn in eu-west-1, version $LATEST" in (result.note or "")


def test_a_package_refusal_is_a_message_in_the_dialog(qtbot, tmp_path: Path) -> None:
    """Secrets, links out of the folder, special files: the plan stops with the file named, no traceback."""
    jobs = JobBridge()
    settings = Settings(tmp_path / "config")
    settings.set("aws_endpoint_url", "http://127.0.0.1:9")  # never reached: packaging refuses first
    aws = AwsContext(settings, None)
    fn = make_function(tmp_path, requirements="")
    assert fn.code_dir is not None
    (fn.code_dir / ".env").write_text("STRIPE_SECRET=sk_live_123\n")
    dialog = DeployDialog(fn, aws, jobs, tmp_path / "cache")
    qtbot.addWidget(dialog)
    dialog.show()
    try:
        dialog.start_plan()
        qtbot.waitUntil(lambda: not dialog.is_running(), timeout=10_000)
        text = dialog.outcome.text()
        assert ".env" in text and "STRIPE_SECRET" in text and "deploy_allow_secrets" in text
        assert "Traceback" not in text and dialog.plan is None
        settings.set("deploy_allow_secrets", True)
        settings.set("deploy_cache_max_mb", 10)
        options = dialog.options()
        assert options.allow_secrets and options.cache_limits.max_bytes == 10 * 1024 * 1024
    finally:
        dialog.close()
        assert jobs.shutdown(10_000)
