"""The "Local cloud" toggle and dock: the project's application running locally, its resources and actions.

The local application runs as one long job on the job bridge (started by the toggle, stopped by it or
when the window closes); its trigger activity streams into the log panel. Everything the dock shows
is read, and every action done, by other short jobs: the GUI thread never waits on the endpoint.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from widgets.jobs import JobBridge
from widgets.local_cloud_actions import ACCOUNT, LOCAL, DockActions
from widgets.local_cloud_actions import account_module as _account
from widgets.local_cloud_actions import inspect_module as _inspect
from widgets.local_cloud_views import BucketsView, PublishView, QueuesView, SchedulesView, TablesView

REFRESH_MS = 2000
PREFERRED_PORT = 4566
STOPPED_TEXT = (
    "Local cloud is off. Turn it on to run the template's queues, buckets, tables and schedules here."
)
NOTE = "State lives only while the local cloud runs: stopping it forgets every message, object and item."
ACCOUNT_NOTE = (
    "Browsing the AWS account of the AWS dock's profile and region: read-only until you send, upload, "
    "put, delete or purge, and each write first asks, naming the account."
)


class LocalCloudController(QObject):
    """Starts/stops the local application on the job bridge and runs the dock's reads and actions."""

    state_changed = Signal(str)  # "starting", "running", "stopped"
    snapshot_ready = Signal(object)  # app.local.inspect.Snapshot
    message = Signal(str)  # a problem or a confirmation for the user
    log_lines = Signal(object)  # list[str]
    started_at = Signal(str)  # the endpoint URL
    trigger_result = Signal(str, str, object)  # function id, what triggered it, InvokeResult
    confirm_wanted = Signal(str, object)  # question, _Answer: the dock asks on the GUI thread

    def __init__(
        self, jobs: JobBridge, make_backend: Callable[[], Any], parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.jobs = jobs
        self.make_backend = make_backend  # blocks; called on the worker thread
        self.cloud: Any = None
        self.state = "stopped"
        self._job: Any = None
        self._refreshing = False
        self._account_refreshing = False
        self._timer = QTimer(self, interval=REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
        self.started_at.connect(self._on_started)
        self.source = LOCAL
        self.aws: Any = None  # app.aws_context.AwsContext of the window (the AWS dock's connection)
        self.account_limit = 0  # resources of each kind read from the account; 0: one page

    def show_more(self) -> None:
        """Reads one page more of each kind from the account (queues, buckets, tables, objects, items)."""
        page = _account().PAGE
        self.account_limit = max(self.account_limit, page) + page
        self.refresh()

    def set_source(self, source: str) -> None:
        """LOCAL: the running local cloud; ACCOUNT: the AWS account of `self.aws`, read on demand."""
        self.source = source
        if source == ACCOUNT:
            self._timer.stop()  # an account is read when asked (Refresh, after a write), never polled
        elif self.cloud is not None:
            self._timer.start()
        self.refresh()

    def start(self, project: Any) -> None:
        """Runs the project's local application until stop(); its log goes to log_lines."""
        if self._job is not None or project is None:
            return
        self._set_state("starting")

        def work(sink: Callable[[str], None], cancel: threading.Event) -> None:
            from app.local.cloud import LocalCloud
            from runner.result import SetupError

            backend = self.make_backend()
            cloud = LocalCloud(project, aws_port=PREFERRED_PORT)
            try:
                try:
                    cloud.start(backend, sink, on_result=self.trigger_result.emit)
                except SetupError:
                    cloud = LocalCloud(project, aws_port=0)  # 4566 is taken: any free port
                    cloud.start(backend, sink, on_result=self.trigger_result.emit)
                self.cloud = cloud
                for problem in cloud.problems:
                    sink(f"lambda-studio: {problem}")
                self.started_at.emit(cloud.url)  # queued to the GUI thread
                cancel.wait()
            finally:
                self.cloud = None
                cloud.stop()
                backend.close()

        job = self._job = self.jobs.submit(work, "local cloud")
        job.log_lines.connect(self.log_lines)
        job.failed.connect(lambda text: self.message.emit(f"The local cloud stopped: {text}"))
        job.done.connect(self._on_done)

    def stop(self) -> None:
        """Asks the running application to stop; state_changed says when it has."""
        if self._job is not None:
            self._job.cancel()
        self._timer.stop()

    def _on_started(self, url: str) -> None:
        self._set_state("running")
        if self.source == LOCAL:
            self.message.emit(f"Local AWS endpoint: {url}")
            self._timer.start()
            self.refresh()

    def _on_done(self) -> None:
        self._job = None
        self._timer.stop()
        self._set_state("stopped")

    def _set_state(self, state: str) -> None:
        self.state = state
        self.state_changed.emit(state)

    def refresh(self) -> None:
        if self.source == ACCOUNT:
            self._refresh_account()
            return
        cloud = self.cloud
        if cloud is None or self._refreshing:
            return
        self._refreshing = True
        job = self.jobs.submit(lambda sink, cancel: _inspect().snapshot(cloud), "local cloud refresh")
        job.finished.connect(self._local_read)
        job.done.connect(lambda: setattr(self, "_refreshing", False))

    def _local_read(self, snap: Any) -> None:
        if self.source == LOCAL:  # a read started before the switch to the account view is dropped
            self.snapshot_ready.emit(snap)

    def _refresh_account(self) -> None:
        aws = self.aws
        if aws is None or self._account_refreshing:
            return
        self._account_refreshing = True
        self.message.emit(f"Reading the AWS account ({aws.describe()})…")
        limit = self.account_limit or _account().PAGE
        job = self.jobs.submit(
            lambda sink, cancel: _account().snapshot(aws.connection(), limit=limit), "account refresh"
        )
        job.finished.connect(self._account_read)
        job.failed.connect(self.message)
        job.done.connect(lambda: setattr(self, "_account_refreshing", False))

    def _account_read(self, snap: Any) -> None:
        if self.source == ACCOUNT:
            self.snapshot_ready.emit(snap)
            more = f" · more in the account: {', '.join(snap.more)} (Show more)" if snap.more else ""
            self.message.emit(f"AWS account: {self.aws.describe()} (read-mostly; writes ask first){more}")

    def act_account(self, what: str, action: Callable[[Any, Any], object], done_text: str) -> None:
        """Runs one write on the account: `action(connection, confirm)`; confirm asks the dock and waits."""
        aws = self.aws
        if aws is None:
            self.message.emit("No AWS connection: choose a profile and region in the AWS dock")
            return

        def work(sink: Callable[[str], None], cancel: threading.Event) -> object:
            def confirm(text: str) -> bool:
                answer = _Answer()
                self.confirm_wanted.emit(text, answer)  # queued to the GUI thread
                while not answer.ready.wait(0.2):
                    if cancel.is_set():
                        return False
                return answer.yes

            return action(aws.connection(), confirm)

        job = self.jobs.submit(work, what)
        job.failed.connect(self.message)
        job.finished.connect(lambda _r: self._after_action(done_text))

    def act(self, what: str, action: Callable[[Any], object], done_text: str = "") -> None:
        """Runs one action (send, upload, put, publish, fire) on a worker, then refreshes."""
        cloud = self.cloud
        if cloud is None:
            self.message.emit("The local cloud is not running")
            return
        job = self.jobs.submit(lambda sink, cancel: action(cloud), what)
        job.failed.connect(self.message)
        job.finished.connect(lambda _r: self._after_action(done_text))

    def _after_action(self, done_text: str) -> None:
        if done_text:
            self.message.emit(done_text)
        self.refresh()


class _Answer:
    """The user's answer to one confirmation, handed from the GUI thread to the waiting worker."""

    def __init__(self) -> None:
        self.ready = threading.Event()
        self.yes = False


class LocalCloudDock(QWidget):
    """The dock's content: a status line, the note about state, and the five resource views."""

    def __init__(self, controller: LocalCloudController) -> None:
        super().__init__()
        self.controller = controller
        self.ask: Callable[[str], bool] = self._ask  # tests answer for the user
        self.source = QComboBox()
        self.source.addItem("Local cloud", LOCAL)
        self.source.addItem("AWS account", ACCOUNT)
        self.source.setToolTip("Show the local cloud, or the account of the AWS dock's profile and region")
        self.source.currentIndexChanged.connect(lambda _i: self._on_source(self.source.currentData()))
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(controller.refresh)
        self.more_button = QPushButton("Show more")
        self.more_button.setToolTip("Read one page more of each kind from the account")
        self.more_button.clicked.connect(controller.show_more)
        self.more_button.hide()
        self.status = QLabel(STOPPED_TEXT)
        self.status.setWordWrap(True)
        self.note = QLabel(NOTE)
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: palette(mid);")
        self.tabs = QTabWidget()
        self.queues, self.buckets, self.tables = QueuesView(), BucketsView(), TablesView()
        self.publish, self.schedules = PublishView(), SchedulesView()
        for view, title in (
            (self.queues, "Queues"),
            (self.buckets, "Buckets"),
            (self.tables, "Tables"),
            (self.publish, "Topics && buses"),
            (self.schedules, "Schedules"),
        ):
            self.tabs.addTab(view, title)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        top = QHBoxLayout()
        top.addWidget(self.source, 1)
        top.addWidget(self.more_button)
        top.addWidget(self.refresh_button)
        layout.addLayout(top)
        layout.addWidget(self.status)
        layout.addWidget(self.note)
        layout.addWidget(self.tabs, 1)
        self.tabs.setEnabled(False)
        c = controller
        c.state_changed.connect(self._on_state)
        c.snapshot_ready.connect(self.update_from)
        c.message.connect(self.status.setText)
        c.confirm_wanted.connect(self._confirm)
        DockActions(c).wire(self.queues, self.buckets, self.tables, self.publish, self.schedules)

    def _ask(self, text: str) -> bool:
        answer = QMessageBox.question(
            self, "Write to the AWS account?", text, defaultButton=QMessageBox.StandardButton.No
        )
        return answer == QMessageBox.StandardButton.Yes

    def _confirm(self, text: str, answer: Any) -> None:
        try:
            answer.yes = bool(self.ask(text))
        finally:
            answer.ready.set()

    def _on_source(self, source: str) -> None:
        account = source == ACCOUNT
        self.note.setText(ACCOUNT_NOTE if account else NOTE)
        header = self.queues.table.horizontalHeaderItem(4)
        if header is not None:
            header.setText("queue URL" if account else "local name")
        self.update_from(_inspect().Snapshot())
        for view in (self.publish, self.schedules):  # topics, buses and schedules: the local cloud's only
            self.tabs.setTabEnabled(self.tabs.indexOf(view), not account)
        self.tabs.setEnabled(account or self.controller.state == "running")
        if not account and self.controller.state == "stopped":
            self.status.setText(STOPPED_TEXT)
        self.controller.set_source(source)

    def update_from(self, snap: Any) -> None:
        for view in (self.queues, self.buckets, self.tables, self.publish, self.schedules):
            view.update_from(snap)
        self.more_button.setVisible(self.controller.source == ACCOUNT and bool(snap.more))
        self.more_button.setToolTip("Read one page more of each kind: " + ", ".join(snap.more))

    def _on_state(self, state: str) -> None:
        if self.controller.source == ACCOUNT:
            return  # the local cloud starts and stops behind the account view: it says so when shown again
        self.tabs.setEnabled(state == "running")
        if state == "starting":
            self.status.setText("Starting the local cloud: endpoint, resources, triggers…")
        elif state == "stopped":
            self.status.setText(STOPPED_TEXT)
            self.update_from(_inspect().Snapshot())


def install(window: Any) -> LocalCloudController:
    """Adds the "Local cloud" toggle to the run toolbar and its dock to the window; wires the log."""

    def make_backend() -> Any:
        # imported when the local cloud starts, not on the window's start-up path
        from app.invoke import select_backend

        # The toolbar's choice, as for an invoke: a function in a container reaches the local endpoint
        # through the token gate (app/local/gate.py).
        name = window.toolbar.backend()
        return select_backend(name, project=window.project.root.name if window.project else None)

    controller = LocalCloudController(window.jobs, make_backend, window)
    workbench = getattr(window, "aws", None)
    controller.aws = workbench.aws if workbench is not None else None  # the AWS dock's profile and region
    content = LocalCloudDock(controller)
    # in a scroll area like every panel, so it shrinks on a small screen; tabbed with History
    dock = window.add_dock("localCloudDock", "Local cloud", content, tab_with="historyDock")
    dock.hide()
    action = QAction("Local cloud", window, checkable=True)
    action.setToolTip("Run the template's queues, buckets, tables and schedules locally, with their triggers")
    action.toggled.connect(lambda on: _toggle(window, controller, dock, on))
    controller.state_changed.connect(lambda state: action.setChecked(state != "stopped"))
    controller.log_lines.connect(window.log_panel.append_log_lines)
    controller.trigger_result.connect(lambda fid, what, result: _add_history(window, fid, what, result))
    content.publish.text_wanted.connect(lambda: content.publish.set_text(window.event_editor.text()))
    window.toolbar.addSeparator()
    window.toolbar.addAction(action)
    window.local_cloud_action, window.local_cloud_dock = action, content
    return controller


def _add_history(window: Any, function_id: str, what: str, result: Any) -> None:
    from widgets.history_view import HistoryEntry

    window.history.add_entry(
        HistoryEntry(function_id, f"⚡ {what}", result, log_lines=result.log_text.splitlines())
    )


def _toggle(window: Any, controller: LocalCloudController, dock: QDockWidget, on: bool) -> None:
    if on and controller.state == "stopped":
        if window.project is None:
            window.local_cloud_action.setChecked(False)
            return
        dock.show()
        dock.raise_()
        controller.start(window.project)
    elif not on and controller.state != "stopped":
        controller.stop()
