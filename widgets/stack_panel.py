"""The "Application (stack)" mode of the Deploy dialog: settings, Plan (the review), Deploy (timeline), outputs."""

from __future__ import annotations

import html
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.aws_context import AwsContext
from widgets.jobs import Failure, Job, JobBridge
from widgets.stack_review import StackReviewTable
from widgets.stack_timeline import StackTimeline

ERROR_COLOR = "#c62828"
TRANSFORMS = {"auto (local with an endpoint)": "", "service (CloudFormation runs SAM)": "service",
              "local (aws-sam-translator here)": "local"}  # fmt: skip


class StackDeployPanel(QWidget):
    """Plan runs plan_stack on the job bridge; Deploy runs execute_plan and fills the live timeline.

    The work raises on failure (DeployError, Cancelled: UserFacingErrors); the bridge delivers it as the
    job's Failure, shown with its hint.
    """

    progress_reported = Signal(object)  # a Progress/StackProgress from the worker (queued to the GUI)
    deployed = Signal(str)  # the stack name after a successful deploy
    job_finished = Signal()  # a plan or deploy job ended (either way)

    def __init__(
        self,
        project_root: Path,
        aws: AwsContext,
        jobs: JobBridge,
        cache_dir: Path,
        connection_key: Callable[[], tuple[str, str, str]],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.root, self._aws, self._jobs, self._cache_dir = project_root, aws, jobs, cache_dir
        self._key = connection_key
        self._job: Job | None = None
        self._conn: Any = None
        self.plan: Any = None
        self.result: Any = None
        self.progress_reported.connect(self._on_progress)
        self._build()
        self._load_config()
        self._update_buttons()

    def _build(self) -> None:
        self.stack_name = QLineEdit(placeholderText="stack name (samconfig.toml's stack_name)")
        self.config_env = QLineEdit("default")
        self.overrides = QLineEdit(placeholderText="Name=value Other='two words'")
        self.transform = QComboBox()
        self.transform.addItems(list(TRANSFORMS))
        form = QFormLayout()
        row = QHBoxLayout()
        row.addWidget(self.stack_name, 2)
        row.addWidget(QLabel("config env"))
        row.addWidget(self.config_env, 1)
        form.addRow("Stack", row)
        form.addRow("Parameters", self.overrides)
        form.addRow("SAM transform", self.transform)
        self.delete_failed = QCheckBox(
            "Delete a stack left in ROLLBACK_COMPLETE (failed first create) and create it again"
        )
        form.addRow("", self.delete_failed)
        self.headline = QLabel("Press Plan to build, package and review the change set")
        self.headline.setTextFormat(Qt.TextFormat.RichText)
        self.review = StackReviewTable()
        self.timeline = StackTimeline()
        self.outputs = QLabel("Outputs appear here after a deploy.")
        self.outputs.setTextFormat(Qt.TextFormat.RichText)
        self.outputs.setOpenExternalLinks(True)
        self.outputs.setWordWrap(True)
        self.outputs.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.outputs.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.views = QTabWidget()
        self.views.addTab(self.review, "Review")
        self.views.addTab(self.timeline, "Timeline")
        self.views.addTab(self.outputs, "Outputs")
        self.step = QLabel()
        self.bar = QProgressBar()
        self.bar.setRange(0, 100)
        self.outcome = QLabel()
        self.outcome.setWordWrap(True)
        self.outcome.setTextFormat(Qt.TextFormat.RichText)
        self.outcome.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.plan_button = QPushButton("Plan")
        self.deploy_button = QPushButton("Deploy stack")
        self.cancel_button = QPushButton("Cancel")
        self.save_button = QPushButton("Save to samconfig.toml")
        self.save_button.setToolTip("Save the stack name, parameters and capabilities for this config env")
        buttons = QHBoxLayout()
        buttons.addWidget(self.step, 1)
        for button in (self.save_button, self.plan_button, self.deploy_button, self.cancel_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(form)
        layout.addWidget(self.headline)
        layout.addWidget(self.views, 1)
        layout.addWidget(self.bar)
        layout.addWidget(self.outcome)
        layout.addLayout(buttons)
        self.plan_button.clicked.connect(self.start_plan)
        self.deploy_button.clicked.connect(self.start_deploy)
        self.cancel_button.clicked.connect(self.cancel)
        self.save_button.clicked.connect(self.save_settings)
        self.delete_failed.toggled.connect(self._options_changed)
        for edit in (self.stack_name, self.config_env, self.overrides):
            edit.textChanged.connect(self._options_changed)
        self.transform.currentTextChanged.connect(self._options_changed)

    def _load_config(self) -> None:
        from app.deploy.errors import DeployError
        from app.deploy.stack.samconfig import DeployConfig

        try:
            config = DeployConfig.load(self.root, self.config_env.text().strip() or "default")
        except DeployError as exc:
            self.outcome.setText(f"<span style='color:{ERROR_COLOR}'>{html.escape(exc.message)}</span>")
            return
        self.stack_name.setText(config.stack_name or self.root.name)
        self.overrides.setText(" ".join(f"{k}={v}" for k, v in config.parameter_overrides.items()))

    # --- state --------------------------------------------------------------------------------------
    def is_running(self) -> bool:
        return self._job is not None

    def _options_changed(self, *_: object) -> None:
        if self.plan is not None and not self.is_running():
            self.plan = None
            self.headline.setText("Settings changed: press Plan again")
        self._update_buttons()

    def _update_buttons(self) -> None:
        running = self.is_running()
        ready = self.plan is not None and not self.plan.review.no_changes
        self.plan_button.setEnabled(not running and bool(self.stack_name.text().strip()))
        self.deploy_button.setEnabled(not running and ready)
        self.cancel_button.setEnabled(running)
        self.save_button.setEnabled(not running and bool(self.stack_name.text().strip()))

    def options(self) -> Any:
        from app.deploy.stack.model import StackOptions
        from app.deploy.stack.samconfig import DeployConfig
        from app.project.sam import parse_parameter_overrides

        env = self.config_env.text().strip() or "default"
        config = DeployConfig.load(self.root, env)
        endpoint = self._key()[2]
        transform = TRANSFORMS.get(self.transform.currentText(), "") or ("local" if endpoint else "service")
        return StackOptions(
            stack_name=self.stack_name.text().strip(), cache_dir=self._cache_dir, config_env=env,
            parameter_overrides=parse_parameter_overrides(self.overrides.text()), s3_bucket=config.s3_bucket,
            s3_prefix=config.s3_prefix, capabilities=config.capabilities, tags=config.tags, transform=transform,
            delete_failed=self.delete_failed.isChecked(),
        )  # fmt: skip

    def save_settings(self) -> Path | None:
        """Write this environment's deploy settings to samconfig.toml (other tables are kept)."""
        from app.deploy.errors import DeployError
        from app.deploy.stack.samconfig import DeployConfig, save_deploy_config
        from app.project.sam import parse_parameter_overrides

        env = self.config_env.text().strip() or "default"
        try:
            config = DeployConfig.load(self.root, env)
            config.stack_name = self.stack_name.text().strip()
            config.parameter_overrides = parse_parameter_overrides(self.overrides.text())
            config.region = self._key()[1] or config.region
            if self.plan is not None:
                config.capabilities = list(self.plan.prepared.capabilities)
            config.resolve_s3 = config.resolve_s3 or not config.s3_bucket
            path = save_deploy_config(self.root, config)
        except (DeployError, OSError) as exc:
            self._error(f"Not saved: {exc}", "")
            return None
        self.outcome.setText(f"Saved the [{html.escape(env)}] deploy settings to {html.escape(str(path))}")
        return path

    # --- work ---------------------------------------------------------------------------------------
    def discard_pending(self) -> Job | None:
        """Delete the change set of a plan that will not be deployed (on a new plan, or when closing)."""
        plan, conn = self.plan, self._conn
        if plan is None or conn is None or not plan.review.change_set_id:
            return None
        from app.deploy.stack.manage import discard_change_set

        review = plan.review
        self.plan = None
        return self._jobs.submit(
            lambda sink, cancel: discard_change_set(
                conn, plan.stack_name, review.change_set_id, review.change_set_type
            ),
            "stack-discard",
        )

    def start_plan(self) -> Job | None:
        if self.is_running():
            return None
        from app.deploy.stack.operations import plan_stack

        self.discard_pending()
        self.plan, self._conn = None, None
        self.review.clear()
        self.outcome.clear()
        self.headline.setText("Planning: lint, build, package, change set…")
        key, aws, root = self._key(), self._aws, self.root
        try:
            options = self.options()
        except Exception as exc:  # a broken samconfig.toml: say so, keep the dialog usable
            self.outcome.setText(f"<span style='color:{ERROR_COLOR}'>{html.escape(str(exc))}</span>")
            return None

        def work(sink: Callable[[str], None], cancel: threading.Event) -> tuple[Any, Any]:
            conn = aws.connection(key, fresh=True)
            return conn, plan_stack(conn, root, options, sink=self._sink(sink), cancel=cancel)

        return self._run(work, "stack-plan", self._on_planned, self._on_plan_failed)

    def start_deploy(self) -> Job | None:
        plan, conn = self.plan, self._conn
        if self.is_running() or plan is None or conn is None:
            return None
        from app.deploy.stack.operations import execute_plan

        self.timeline.clear_events()
        self.views.setCurrentWidget(self.timeline)
        self.outcome.clear()

        def work(sink: Callable[[str], None], cancel: threading.Event) -> Any:
            return execute_plan(conn, plan, sink=self._sink(sink), cancel=cancel)

        return self._run(work, "stack-deploy", self._on_deployed, self._on_deploy_failed)

    def cancel(self) -> None:
        if self._job is not None:
            self._job.cancel()
            self.step.setText("Cancelling (an update rolls back; a create runs to its end)…")

    def _sink(self, log: Callable[[str], None]) -> Callable[[Any], None]:
        def sink(progress: Any) -> None:  # worker thread: a log line and a queued signal only
            log(str(progress))
            self.progress_reported.emit(progress)

        return sink

    def _run(
        self, work: Any, name: str, on_done: Callable[[Any], None], on_failed: Callable[[Failure], None]
    ) -> Job:
        self.bar.setRange(0, 0)
        job = self._job = self._jobs.submit(work, name)
        job.finished.connect(lambda value: self._finish(on_done, value))
        job.failed.connect(lambda text: self._finish(on_failed, job.failure or Failure(text)))
        self._update_buttons()
        return job

    def _finish(self, handler: Callable[[Any], None], outcome: Any) -> None:
        self._job = None
        self.bar.setRange(0, 100)
        handler(outcome)
        self._update_buttons()
        self.job_finished.emit()

    def _on_progress(self, progress: Any) -> None:
        event = getattr(progress, "event", None)
        if event is not None:
            self.timeline.add_event(event)
        if progress.fraction is not None:
            self.bar.setRange(0, 100)
            self.bar.setValue(int(progress.fraction * 100))
        self.step.setText(progress.message[:90])

    def _error(self, message: str, hint: str) -> None:
        extra = f"<br>{html.escape(hint)}" if hint else ""
        text = html.escape(message).replace("\n", "<br>")
        self.outcome.setText(f"<span style='color:{ERROR_COLOR}'><b>{text}</b></span>{extra}")

    def _failed(self, failure: Failure) -> None:
        """A failed job: a user error shows its message and hint; a bug its `Type: message` (log: traceback)."""
        self.step.setText("Cancelled" if failure.cancelled else "Failed")
        message = f"Cancelled: {failure.message}" if failure.cancelled else failure.message
        self._error(message, failure.hint or "")

    def _on_plan_failed(self, failure: Failure) -> None:
        self.headline.setText(f"<b>{html.escape(self.stack_name.text())}</b>: no plan")
        self._failed(failure)

    def _on_planned(self, value: tuple[Any, Any]) -> None:
        self._conn, self.plan = value
        self.show_plan(self.plan)

    def show_plan(self, plan: Any) -> None:
        review = plan.review
        name = html.escape(plan.stack_name)
        if review.no_changes:
            self.headline.setText(f"<b>{name}</b>: nothing to deploy — {html.escape(review.reason)}")
        else:
            verb = "create" if review.change_set_type == "CREATE" else "update"
            danger = len(review.dangerous)
            warn = f" — <span style='color:{ERROR_COLOR}'><b>{danger} lose data</b></span>" if danger else ""
            self.headline.setText(f"<b>{name}</b>: {len(review.changes)} change(s) to {verb}{warn}")
        self.review.show_review(review)
        self.views.setCurrentWidget(self.review)
        self.bar.setValue(100)
        self.step.setText("Review ready" if not review.no_changes else "Up to date")
        self._update_buttons()

    def _on_deploy_failed(self, failure: Failure) -> None:
        self.plan = None
        self._failed(failure)

    def _on_deployed(self, result: Any) -> None:
        self.plan = None
        self.show_result(result)

    def show_result(self, result: Any) -> None:
        self.result = result
        if result.events:
            self.timeline.show_events(result.events)
        if result.ok:
            self.bar.setValue(100)
            self.step.setText(result.status)
            first = ""
            if not (self.root / "samconfig.toml").is_file():
                first = " — press <i>Save to samconfig.toml</i> to keep these settings for the next deploy"
            self.outcome.setText(
                f"<b>✔ {html.escape(result.stack_name)}: {html.escape(result.status)}</b>{first}"
            )
            self.deployed.emit(result.stack_name)
        else:
            self.step.setText(result.status)
            self._error(result.failure or result.status, result.hint)
        self.outputs.setText(outputs_html(result))
        self.headline.setText(
            f"<b>{html.escape(result.stack_name)}</b>: {html.escape(result.status)} — Plan compares again"
        )


def outputs_html(result: Any) -> str:
    """Outputs and API endpoints; URLs are links the label opens in the browser."""
    rows = []
    for o in result.outputs:
        value = html.escape(o.value)
        shown = f"<a href='{value}'>{value}</a>" if o.is_url else value
        desc = f" <i>{html.escape(o.description)}</i>" if o.description else ""
        rows.append(f"<b>{html.escape(o.key)}</b>: {shown}{desc}")
    for url in result.endpoints:
        rows.append(f"API endpoint: <a href='{html.escape(url)}'>{html.escape(url)}</a>")
    return "<br>".join(rows) or "This stack has no outputs."
