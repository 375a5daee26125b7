"""The Deploy… dialog: the whole application as a stack, or this function only (plan, deploy, progress, cancel).

Over the house guide's ~400 lines (about 480) because the form (connection, role, version), the two modes'
plan/deploy jobs and the cancel question share one state machine (`_update_buttons`, `_key`); the stack mode's
change-set review is its own module (widgets/stack_panel.py) and the plan's text is built by `_details_html`.
"""

from __future__ import annotations

import html
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QFontDatabase
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.aws_context import AwsContext
from app.messages import guarded_sink
from app.project.model import FunctionSpec
from widgets.jobs import Failure, Job, JobBridge

STEP_LABELS = {
    "connect": "Connecting",
    "package": "Packaging",
    "plan": "Comparing",
    "role": "Execution role",
    "layers": "Layers",
    "upload": "Uploading",
    "create": "Creating",
    "update-code": "Updating code",
    "update-config": "Updating configuration",
    "wait": "Waiting for Lambda",
    "publish": "Publishing",
    "download": "Downloading",
    "done": "Done",
}
ACTION_TEXT = {
    "create": "Create a new function",
    "update": "Update the deployed function",
    "none": "Nothing to do: the deployed function matches",
}
ERROR_COLOR = "#c62828"


def _profile_names() -> list[str]:
    try:
        from app.deploy.connection import list_profiles

        return [p.name for p in list_profiles()]
    except Exception:  # an unreadable ~/.aws/config must not stop the dialog: the field stays editable
        return []


class DeployDialog(QDialog):
    """Plan runs make_plan on the job bridge; Deploy runs execute with the same connection and plan."""

    progress_reported = Signal(object)  # a Progress, emitted from the worker thread (queued to the GUI)
    deployed = Signal(str)  # the function name, after a successful deploy

    def __init__(
        self,
        function: FunctionSpec,
        aws: AwsContext,
        jobs: JobBridge,
        cache_dir: Path,
        parent: QWidget | None = None,
        project_root: Path | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Deploy {function.logical_id}")
        self.resize(900, 660)  # fits a 1280×720 screen
        template = function.template_path
        self.project_root = project_root or (template.parent if template is not None else None)
        self.function = function
        self._aws, self._jobs, self._cache_dir = aws, jobs, cache_dir
        self._job: Job | None = None
        self._conn: Any = None
        self.plan: Any = None
        self.result: Any = None
        self._close_when_done = False
        self.ask_cancel: Callable[[], bool] = self._ask_cancel
        self.progress_reported.connect(self._on_progress)
        self._build()
        self._options_changed()

    # --- layout -----------------------------------------------------------------------------------
    def _build(self) -> None:
        settings = self._aws.settings
        self.profile = QComboBox(editable=True)
        self.profile.addItems(["", *_profile_names()])
        self.profile.setEditText(str(settings.get("aws_profile") or ""))
        line = self.profile.lineEdit()
        if line is not None:  # an editable combo box always has one
            line.setPlaceholderText("default")
        from app.deploy.connection import REGIONS

        self.region = QComboBox(editable=True)
        self.region.addItems(list(REGIONS))
        self.region.setEditText(str(settings.get("aws_region") or "us-east-1"))
        self.endpoint = QLineEdit(str(settings.get("aws_endpoint_url") or ""))
        self.endpoint.setPlaceholderText("AWS itself (or http://localhost:4566 for LocalStack)")
        self.use_role = QRadioButton("Existing role ARN")
        self.create_role = QRadioButton("Create a least-privilege role (AWSLambdaBasicExecutionRole)")
        self.role_arn = QLineEdit(placeholderText="arn:aws:iam::…:role/NAME (empty: as deployed)")
        self._role_group = QButtonGroup(self)
        for button in (self.use_role, self.create_role):
            self._role_group.addButton(button)
        self.use_role.setChecked(True)
        self.publish = QCheckBox("Publish a version")
        self.alias = QLineEdit(placeholderText="alias (optional, e.g. live)")
        connection = QGroupBox("Connection")
        form = QFormLayout(connection)
        form.addRow("Profile", self.profile)
        form.addRow("Region", self.region)
        form.addRow("Endpoint", self.endpoint)
        options = QGroupBox("Options")
        oform = QFormLayout(options)
        role_row = QHBoxLayout()
        role_row.addWidget(self.use_role)
        role_row.addWidget(self.role_arn, 1)
        oform.addRow("Role", role_row)
        oform.addRow("", self.create_role)
        version_row = QHBoxLayout()
        version_row.addWidget(self.publish)
        version_row.addWidget(self.alias, 1)
        oform.addRow("Version", version_row)
        top = QHBoxLayout()
        top.addWidget(options, 1)

        self.headline = QLabel(f"<b>{html.escape(self.function.function_name)}</b>: press Plan to compare")
        self.headline.setTextFormat(Qt.TextFormat.RichText)
        self.changes = QTableWidget(0, 3)
        self.changes.setHorizontalHeaderLabels(["Setting", "Deployed", "Local (will be)"])
        self.changes.verticalHeader().hide()
        self.changes.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.changes.setWordWrap(False)
        self.changes.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = self.changes.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.details.setTextFormat(Qt.TextFormat.RichText)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.log = QPlainTextEdit(readOnly=True)
        self.log.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.log.setMaximumBlockCount(2000)
        self.log.setMaximumHeight(self.fontMetrics().height() * 8)
        self.log.setPlaceholderText("Progress of the plan and the deploy appears here.")
        self.step = QLabel()
        self.bar = QProgressBar()
        self.bar.setRange(0, 100)
        self.bar.setValue(0)
        self.outcome = QLabel()
        self.outcome.setWordWrap(True)
        self.outcome.setTextFormat(Qt.TextFormat.RichText)
        self.outcome.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.plan_button = QPushButton("Plan")
        self.plan_button.setDefault(True)
        self.deploy_button = QPushButton("Deploy")
        self.cancel_button = QPushButton("Cancel")
        self.close_button = QPushButton("Close")
        buttons = QHBoxLayout()
        buttons.addWidget(self.step, 1)
        for push in (self.plan_button, self.deploy_button, self.cancel_button):
            buttons.addWidget(push)

        quick = QWidget()
        qlayout = QVBoxLayout(quick)
        qlayout.setContentsMargins(4, 4, 4, 4)
        qlayout.addLayout(top)
        qlayout.addWidget(self.headline)
        qlayout.addWidget(self.changes, 3)
        qlayout.addWidget(self.details)
        qlayout.addWidget(self.log, 1)
        qlayout.addWidget(self.bar)
        qlayout.addWidget(self.outcome)
        qlayout.addLayout(buttons)
        self.modes = QTabWidget()
        self.stack_panel: Any = None
        if self.project_root is not None:
            from widgets.stack_panel import StackDeployPanel

            self.stack_panel = StackDeployPanel(
                self.project_root, self._aws, self._jobs, self._cache_dir, self._key, parent=self
            )
            self.modes.addTab(self.stack_panel, "Application (stack)")
            self.stack_panel.job_finished.connect(self._stack_job_finished)
        self.modes.addTab(quick, "This function only (quick)")
        self.modes.setCurrentWidget(quick)  # the dialog opens on the function it was asked for
        layout = QVBoxLayout(self)
        layout.addWidget(connection)
        layout.addWidget(self.modes, 1)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(self.close_button)
        layout.addLayout(bottom)

        self.plan_button.clicked.connect(self.start_plan)
        self.deploy_button.clicked.connect(self.start_deploy)
        self.cancel_button.clicked.connect(self.cancel)
        self.close_button.clicked.connect(self.close)
        for edit in (self.role_arn, self.alias, self.endpoint):
            edit.textChanged.connect(self._options_changed)
        for combo in (self.profile, self.region):
            combo.currentTextChanged.connect(self._options_changed)
        for check in (self.use_role, self.create_role, self.publish):
            check.toggled.connect(self._options_changed)

    # --- state ------------------------------------------------------------------------------------
    def is_running(self) -> bool:
        return self._job is not None or (self.stack_panel is not None and self.stack_panel.is_running())

    def _options_changed(self, *_: object) -> None:
        """A plan is only good for the options it was made with: any change asks for a new one."""
        if self.plan is not None and not self.is_running():
            self.plan = None
            self.headline.setText("Options changed: press Plan again")
        self.role_arn.setEnabled(self.use_role.isChecked())
        self._update_buttons()

    def _update_buttons(self) -> None:
        running = self.is_running()
        plan = self.plan
        deployable = plan is not None and not plan.problems and plan.action != "none"
        self.plan_button.setEnabled(not running)
        self.deploy_button.setEnabled(not running and deployable)
        self.cancel_button.setEnabled(running)
        for widget in (self.profile, self.region, self.endpoint, self.use_role, self.create_role):
            widget.setEnabled(not running)
        self.role_arn.setEnabled(not running and self.use_role.isChecked())
        self.publish.setEnabled(not running)
        self.alias.setEnabled(not running)

    def _key(self) -> tuple[str, str, str]:
        return (
            self.profile.currentText().strip(),
            self.region.currentText().strip(),
            self.endpoint.text().strip(),
        )

    def options(self) -> Any:
        from app.deploy.cache import CacheLimits
        from app.deploy.plan import DeployOptions

        settings = self._aws.settings
        arn = self.role_arn.text().strip() if self.use_role.isChecked() else ""
        return DeployOptions(
            cache_dir=self._cache_dir,
            role_arn=arn or None,
            create_role=self.create_role.isChecked(),
            publish_version=self.publish.isChecked() or bool(self.alias.text().strip()),
            alias=self.alias.text().strip() or None,
            allow_secrets=bool(settings.get("deploy_allow_secrets")),
            cache_limits=CacheLimits.from_settings(
                settings.get("deploy_cache_max_mb"), settings.get("deploy_cache_max_age_days")
            ),
        )

    def _ask_cancel(self) -> bool:
        answer = QMessageBox.question(
            self,
            "Deploy running",
            "A deploy is running. Cancel it at the next safe point and close?\n\n"
            "Steps already applied stay applied; the message says exactly what state the function is in.",
        )
        return answer == QMessageBox.StandardButton.Yes

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        if self.is_running():
            event.ignore()  # the dialog closes itself once the worker has stopped
            if self.ask_cancel():
                self._close_when_done = True
                self.cancel()
            return
        if self.stack_panel is not None:
            self.stack_panel.discard_pending()  # a reviewed change set that was not deployed is removed
        event.accept()

    def reject(self) -> None:  # Escape goes through the same question as the close button
        if self.is_running():
            self.close()
        else:
            super().reject()

    # --- plan and deploy --------------------------------------------------------------------------
    def start_plan(self) -> Job | None:
        if self.is_running():
            return None
        from app.deploy.plan import make_plan

        key, options, fn, aws = self._key(), self.options(), self.function, self._aws
        profile, region, endpoint = key
        settings = aws.settings  # remembered for the next dialog and the explorer
        settings.set("aws_profile", profile)
        settings.set("aws_region", region or "us-east-1")
        settings.set("aws_endpoint_url", endpoint)
        self.plan = None
        self._conn = None
        self.changes.setRowCount(0)
        self.details.clear()
        self.headline.setText(f"<b>{html.escape(fn.function_name)}</b>: planning…")

        def work(sink: Callable[[str], None], cancel: threading.Event) -> tuple[Any, Any]:
            conn = aws.connection(key, fresh=True)  # a plan starts from the current credentials
            return conn, make_plan(conn, fn, options, sink=self._sink(sink), cancel=cancel)

        return self._run(work, "deploy-plan", self._on_planned, self._on_plan_failed)

    def start_deploy(self) -> Job | None:
        plan, conn = self.plan, self._conn
        if self.is_running() or plan is None or conn is None:
            return None
        from app.deploy.deploy import execute

        def work(sink: Callable[[str], None], cancel: threading.Event) -> Any:
            return execute(conn, plan, sink=self._sink(sink), cancel=cancel)

        self.outcome.clear()
        return self._run(work, "deploy", self._on_deployed, self._on_deploy_failed)

    def cancel(self) -> None:
        if self._job is not None:
            self._job.cancel()
            self.step.setText("Cancelling at the next safe point…")
        if self.stack_panel is not None:
            self.stack_panel.cancel()

    def _sink(self, log: Callable[[str], None]) -> Callable[[Any], None]:
        def sink(progress: Any) -> None:  # worker thread: a log line plus a queued signal, nothing else
            log(str(progress))
            self.progress_reported.emit(progress)  # RuntimeError once the dialog is deleted

        return guarded_sink(sink, "The deploy dialog")

    def _run(
        self, work: Any, name: str, on_done: Callable[[Any], None], on_failed: Callable[[Failure], None]
    ) -> Job:
        """A DeployError or Cancelled raised by the work arrives as the job's Failure (message + hint)."""
        self.log.clear()
        self.bar.setRange(0, 0)
        job = self._job = self._jobs.submit(work, name)
        job.log_lines.connect(lambda lines: self.log.appendPlainText("\n".join(lines)))
        job.finished.connect(lambda value: self._finish(on_done, value))
        job.failed.connect(lambda _text: self._finish(on_failed, job.failure))
        self._update_buttons()
        return job

    def _stack_job_finished(self) -> None:
        self._update_buttons()
        if self._close_when_done and not self.is_running():
            self.close()

    def _finish(self, handler: Callable[[Any], None], value: Any) -> None:
        self._job = None
        self.bar.setRange(0, 100)
        handler(value)
        self._update_buttons()
        if self._close_when_done:
            self.close()

    def _on_progress(self, progress: Any) -> None:
        label = STEP_LABELS.get(progress.step, progress.step)
        if progress.fraction is not None:
            self.bar.setRange(0, 100)
            self.bar.setValue(int(progress.fraction * 100))
            self.step.setText(f"{label} {progress.fraction * 100:.0f}%")
        else:
            self.bar.setRange(0, 0)  # busy until the step reports a fraction
            self.step.setText(f"{label}…")

    def _on_plan_failed(self, failure: Failure) -> None:
        self.bar.setValue(0)
        self.headline.setText(f"<b>{html.escape(self.function.function_name)}</b>: no plan")
        self._show_error(failure)

    def _on_planned(self, value: tuple[Any, Any]) -> None:
        self._conn, self.plan = value
        self.bar.setValue(100)
        self.step.setText("Plan ready")
        self.show_plan(self.plan)

    def _on_deploy_failed(self, failure: Failure) -> None:
        self.bar.setValue(0)
        self._show_error(failure)
        self.plan = None  # whatever happened, the deployed state moved on: plan again before retrying
        self.headline.setText(f"<b>{html.escape(self.function.function_name)}</b>: plan again to continue")

    def _on_deployed(self, value: Any) -> None:
        self.result = value
        self.bar.setValue(100)
        self.step.setText("Deployed")
        self.outcome.setText(f"<b>✔ {html.escape(self.result.summary())}</b>")
        self.headline.setText(
            f"<b>{html.escape(self.function.function_name)}</b>: deployed — Plan compares again"
        )
        self.plan = None  # deployed: a second Deploy needs a fresh plan (which will say "nothing to do")
        self.deployed.emit(self.function.function_name)

    def _show_error(self, failure: Failure) -> None:
        self.step.setText("Cancelled" if failure.cancelled else "Failed")
        hint = f"<br>{html.escape(failure.hint)}" if failure.hint else ""
        text = f"Cancelled: {failure.message}" if failure.cancelled else failure.message
        message = html.escape(text).replace("\n", "<br>")
        self.outcome.setText(f"<span style='color:{ERROR_COLOR}'><b>{message}</b></span>{hint}")

    def show_plan(self, plan: Any) -> None:
        """The plan as a headline, a table of changes (deployed → local), and layers, notes and problems."""
        self.headline.setText(
            f"<b>{html.escape(plan.function_name)}</b> in {html.escape(plan.region)}: "
            f"<b>{ACTION_TEXT.get(plan.action, plan.action)}</b>"
        )
        rows: list[tuple[str, str, str]] = []
        pkg = plan.package
        if not plan.exists:
            rows.append(("Code", "—", f"{pkg.files} files, sha256 {pkg.sha256[:12]}…"))
        elif plan.code_changed:
            rows.append(("Code", f"sha256 {(plan.remote_sha or '')[:12]}…", f"sha256 {pkg.sha256[:12]}…"))
        rows.extend((c.label, c.current_text, c.desired_text) for c in plan.changes)
        if not plan.exists:
            from app.deploy.plan import CONFIG_FIELDS, LABELS, _fmt

            shown = {c.field for c in plan.changes}
            for key in (*CONFIG_FIELDS, "Architectures"):
                if key in plan.desired and key not in shown:
                    rows.append((LABELS.get(key, key), "—", _fmt(plan.desired[key])))
        self.changes.setRowCount(len(rows))
        for row, values in enumerate(rows):
            for column, text in enumerate(values):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.changes.setItem(row, column, item)
        self.details.setText(_details_html(plan))
        self._update_buttons()


def _details_html(plan: Any) -> str:
    from app.deploy.packaging import human_size

    pkg = plan.package
    lines = [
        f"Package: {pkg.files} files, {human_size(pkg.zipped_size)} zipped, "
        f"{human_size(pkg.unzipped_size)} unzipped"
        + (" (upload through S3)" if plan.use_s3 else "")
        + ("" if plan.code_changed or not plan.exists else " — code unchanged, no upload")
    ]
    for layer in plan.layers:
        if layer.publish:
            lines.append(f"Layer {layer.name}: content changed, publish a new version")
        elif layer.name:
            lines.append(f"Layer {layer.name}: reuse {layer.arn}")
        else:
            lines.append(f"Layer {layer.display}")
    if plan.role_action == "create":
        lines.append(f"Role: create or reuse {plan.role_name} (AWSLambdaBasicExecutionRole only)")
    out = [html.escape(line) for line in lines]
    out += [f"<i>Note: {html.escape(note)}</i>" for note in plan.notes]
    out += [f"<span style='color:{ERROR_COLOR}'><b>✖ {html.escape(p)}</b></span>" for p in plan.problems]
    return "<br>".join(out)
