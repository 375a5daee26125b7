"""The AWS side of the window: the connection, the explorer dock, the Deploy… and Invoke remotely actions."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget

from app.aws_context import AwsContext, ConnectFn, remote_result
from app.deploy.cache import deploy_cache_dir
from app.project.model import FunctionSpec
from app.settings import Settings
from widgets.aws_explorer import AwsExplorer
from widgets.elided_label import ElidedLabel
from widgets.history_view import HistoryEntry
from widgets.jobs import Job, JobBridge


class AwsWorkbench(QObject):
    """Owns the AWS widgets; speaks to the window through signals (the window wires them to its views).

    `deploy_action` / `remote_invoke_action` only emit their `…_requested` signals: the window knows the
    selected function and the event text and calls `open_deploy_dialog` / `invoke_remote`.
    """

    deploy_requested = Signal()
    remote_invoke_requested = Signal()
    invoke_started = Signal(str, str)  # function id, event name (as the local invoker does)
    invoke_finished = Signal(object)  # HistoryEntry
    invoke_failed = Signal(str)
    log_lines = Signal(object)
    message = Signal(str)

    def __init__(
        self,
        settings: Settings,
        jobs: JobBridge,
        parent: QWidget,
        *,
        connect: ConnectFn | None = None,
        cache_dir: Path | None = None,
    ) -> None:
        super().__init__(parent)
        self._parent = parent
        self.jobs = jobs
        self.aws = AwsContext(settings, connect)
        self.cache_dir = cache_dir
        self.explorer = AwsExplorer(self.aws, jobs)
        self.status_label = ElidedLabel("AWS: —", min_chars=6)
        self.status_label.setMaximumWidth(260)  # an ARN is long: elided, whole in the tooltip
        self.dialog: Any = None
        self._invoke_job: Job | None = None
        self.deploy_action = QAction("☁ Deploy…", parent)
        self.deploy_action.setToolTip("Plan and deploy the selected function to AWS Lambda")
        self.deploy_action.setShortcut(QKeySequence("Ctrl+Shift+D"))
        self.remote_invoke_action = QAction("☁ Invoke remotely", parent)
        self.remote_invoke_action.setToolTip(
            "Invoke the deployed function (its FunctionName) with the event editor's text"
        )
        self.remote_invoke_action.setShortcut(QKeySequence("Ctrl+Shift+F5"))
        self.deploy_action.triggered.connect(lambda _checked=False: self.deploy_requested.emit())
        self.remote_invoke_action.triggered.connect(
            lambda _checked=False: self.remote_invoke_requested.emit()
        )
        ex = self.explorer
        ex.identity_changed.connect(lambda label: self.status_label.setText(f"AWS: {label}"))
        ex.message.connect(self.message.emit)
        self._pending_stack = ""  # a stack chosen in the dock: the next dialog opens on it
        ex.stacks.deploy_requested.connect(self._deploy_stack_requested)

    # --- deploy -----------------------------------------------------------------------------------
    def open_deploy_dialog(self, function: FunctionSpec) -> Any:
        """Window-modal, without a nested event loop; a deploy refreshes the explorer's list."""
        from widgets.deploy_dialog import DeployDialog

        dialog = DeployDialog(
            function, self.aws, self.jobs, self.cache_dir or deploy_cache_dir(), self._parent
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.deployed.connect(lambda name: self._after_deploy(name))
        if dialog.stack_panel is not None:
            dialog.stack_panel.deployed.connect(lambda name: self._after_deploy(f"stack {name}"))
        dialog.destroyed.connect(lambda *_: setattr(self, "dialog", None))
        if self._pending_stack and dialog.stack_panel is not None:
            dialog.modes.setCurrentWidget(dialog.stack_panel)
            dialog.stack_panel.stack_name.setText(self._pending_stack)
        self._pending_stack = ""
        self.dialog = dialog
        dialog.open()
        return dialog

    def _deploy_stack_requested(self, stack: str) -> None:
        self._pending_stack = stack
        self.deploy_requested.emit()  # the window knows the project and calls open_deploy_dialog

    def _after_deploy(self, name: str) -> None:
        self.message.emit(f"Deployed {name}")
        self.explorer.refresh()

    # --- remote invoke ----------------------------------------------------------------------------
    def is_invoking(self) -> bool:
        return self._invoke_job is not None

    def invoke_remote(self, function_id: str, name: str, event_name: str, event: bytes) -> Job | None:
        """Invoke the deployed function `name`; the answer arrives as `invoke_finished(HistoryEntry)`."""
        if self._invoke_job is not None:
            self.invoke_failed.emit("A remote invoke is running; wait for its answer")
            return None
        from app.deploy.remote import invoke

        aws = self.aws

        def work(sink: Callable[[str], None], cancel: threading.Event) -> Any:
            # A DeployError or Cancelled is a UserFacingError: it arrives as the job's failure.
            conn = aws.connection()
            answer = invoke(conn, name, event, cancel=cancel)
            if answer.log_tail:
                sink(answer.log_tail)
            return remote_result(function_id, name, conn.region_name, answer)

        lines: list[str] = []
        job = self._invoke_job = self.jobs.submit(work, "remote-invoke")
        job.log_lines.connect(lines.extend)
        job.log_lines.connect(self.log_lines.emit)
        job.finished.connect(lambda result: self._on_invoked(function_id, event_name, result, lines))
        job.failed.connect(
            lambda text: self._on_invoke_failed(job.failure.text(" — ") if job.failure else text)
        )
        self.invoke_started.emit(function_id, event_name)
        self.message.emit(f"Invoking {name} in {aws.describe()}…")
        return job

    def _on_invoked(self, function_id: str, event_name: str, result: Any, lines: list[str]) -> None:
        self._invoke_job = None
        label = f"{event_name or '{}'} (AWS)"
        self.invoke_finished.emit(HistoryEntry(function_id, label, result, log_lines=list(lines)))

    def _on_invoke_failed(self, message: str) -> None:
        self._invoke_job = None
        self.invoke_failed.emit(message)

    def shutdown(self) -> None:
        self.explorer.shutdown()
        if self._invoke_job is not None:
            self._invoke_job.cancel()
