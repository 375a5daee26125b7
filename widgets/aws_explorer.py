"""The AWS dock: who we are, the region's functions (details, invoke, logs, download) and its stacks."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTabWidget,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.aws_context import AwsContext
from widgets.jobs import Job, JobBridge

LOGS_SINCE = dt.timedelta(hours=1)
FOLLOW_POLL_S = 2.0
COLUMNS = ("Function", "Runtime", "Memory", "Last modified")


class AwsExplorer(QWidget):
    """AWS work runs on the job bridge; results leave as intents the main window wires to other widgets.

    `invoke_requested(name)`: invoke this deployed function with the event editor's text.
    `log_lines(list[str])`: CloudWatch lines for the log panel (`logs_started` first: clear it).
    `identity_changed(str)`: the identity label, for the status bar.
    `open_project_requested(str)`: a downloaded project the user wants to open.
    """

    invoke_requested = Signal(str)
    log_lines = Signal(object)
    logs_started = Signal(str)
    identity_changed = Signal(str)
    open_project_requested = Signal(str)
    message = Signal(str)

    def __init__(self, aws: AwsContext, jobs: JobBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._aws, self._jobs = aws, jobs
        self._list_job: Job | None = None
        self._follow_job: Job | None = None
        self.functions: list[Any] = []
        self.fetch: Callable[[str], bytes] | None = None  # code download; tests hand in the bytes moto stored
        self.choose_folder: Callable[[], str] = self._choose_folder
        self.ask_open: Callable[[str], bool] = self._ask_open
        self.identity = QLabel("AWS: not checked yet")
        self.identity.setWordWrap(True)
        self.identity.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.refresh_button = QToolButton(autoRaise=True)
        self.refresh_button.setText("⟳")
        self.refresh_button.setToolTip("Check the identity and list the region's functions again")
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(list(COLUMNS))
        self.tree.setRootIsDecorated(False)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.details = QPlainTextEdit(readOnly=True)
        self.details.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.details.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.details.setPlaceholderText(
            "Select a function for its configuration, tags, versions and aliases."
        )
        self.invoke_button = QPushButton("Invoke")
        self.invoke_button.setToolTip("Invoke the deployed function with the event editor's text")
        self.logs_button = QPushButton("Logs")
        self.logs_button.setToolTip("The last hour of CloudWatch logs, into the log panel")
        self.follow_button = QPushButton("Follow")
        self.follow_button.setCheckable(True)
        self.follow_button.setToolTip("Keep polling CloudWatch for new log lines")
        self.download_button = QPushButton("Download…")
        self.download_button.setToolTip("Download the code as a new local project")
        self.notice = QLabel()  # a failure of this panel's own work, shown where the user is looking
        self.notice.setWordWrap(True)
        self.notice.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.notice.setStyleSheet("color: #b00020;")
        self.notice.hide()
        head = QHBoxLayout()
        head.addWidget(self.identity, 1)
        head.addWidget(self.refresh_button)
        actions = QHBoxLayout()
        for button in (self.invoke_button, self.logs_button, self.follow_button, self.download_button):
            actions.addWidget(button)
        actions.addStretch(1)
        from widgets.stack_explorer import StackExplorer

        self.stacks = StackExplorer(aws, jobs)
        self.views = QTabWidget()
        self.views.addTab(self.tree, "Functions")
        self.views.addTab(self.stacks, "Stacks")
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.views)
        split.addWidget(self.details)
        split.setSizes([300, 200])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(head)
        layout.addWidget(split, 1)
        layout.addLayout(actions)
        layout.addWidget(self.notice)
        self.refresh_button.clicked.connect(self.refresh)
        self.tree.itemSelectionChanged.connect(self._on_selection)
        self.invoke_button.clicked.connect(self._invoke)
        self.logs_button.clicked.connect(self.fetch_logs)
        self.follow_button.toggled.connect(self.set_following)
        self.download_button.clicked.connect(self.download)
        self.stacks.function_selected.connect(self._show_function)
        self.stacks.message.connect(self.message.emit)
        self._on_selection()

    def _show_function(self, name: str) -> None:
        """A stack's function was chosen: show its function node."""
        self.views.setCurrentWidget(self.tree)
        self.select(name)

    # --- listing ----------------------------------------------------------------------------------
    def refresh(self) -> Job | None:
        """Identity and functions of the settings' profile and region, off the GUI thread."""
        if self._list_job is not None:
            return None
        from app.deploy.remote import list_functions

        aws = self._aws
        self.identity.setText(f"Checking {aws.describe()}…")

        def work(sink: Callable[[str], None], cancel: threading.Event) -> tuple[str, list[Any]]:
            conn = aws.connection(fresh=True)  # ⟳ also picks up a new login or edited ~/.aws files
            label = conn.identity().label()
            return label, list_functions(conn, cancel=cancel)

        job = self._list_job = self._submit(work, "aws-list", self._on_listed, self._on_list_failed)
        self.stacks.refresh()
        return job

    def _on_listed(self, value: tuple[str, list[Any]]) -> None:
        self._list_job = None
        label, functions = value
        self.identity.setText(f"{label}\n{self._aws.describe()}")
        self.identity_changed.emit(label)
        self.set_functions(functions)

    def _on_list_failed(self, message: str) -> None:
        self._list_job = None
        self.identity.setText(f"AWS ({self._aws.describe()}): {message}")
        self.identity_changed.emit("not connected")
        self.message.emit(message)

    def set_functions(self, functions: list[Any]) -> None:
        keep = self.selected_name()
        self.functions = list(functions)
        self.tree.clear()
        for f in self.functions:
            item = QTreeWidgetItem(
                [f.name, f.runtime or "image", f"{f.memory_size or '?'} MB", (f.last_modified or "")[:19]]
            )
            item.setData(0, Qt.ItemDataRole.UserRole, f.name)
            item.setToolTip(0, f.arn)
            self.tree.addTopLevelItem(item)
            if f.name == keep:
                item.setSelected(True)

    def names(self) -> list[str]:
        return [f.name for f in self.functions]

    def selected_name(self) -> str:
        items = self.tree.selectedItems()
        return str(items[0].data(0, Qt.ItemDataRole.UserRole)) if items else ""

    def select(self, name: str) -> None:
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            if item is not None and item.data(0, Qt.ItemDataRole.UserRole) == name:
                self.tree.setCurrentItem(item)

    def _on_selection(self) -> None:
        name = self.selected_name()
        for button in (self.invoke_button, self.logs_button, self.download_button):
            button.setEnabled(bool(name))
        self.follow_button.setEnabled(bool(name) or self.follow_button.isChecked())
        if name:
            self.show_details(name)

    # --- per function -----------------------------------------------------------------------------
    def show_details(self, name: str) -> Job:
        from app.deploy.remote import describe_function

        aws = self._aws
        self.details.setPlainText(f"Reading {name}…")
        job = self._submit(
            lambda sink, cancel: describe_function(aws.connection(), name, cancel=cancel),
            "aws-describe",
            lambda details: self._on_details(name, details),
            lambda message: self.details.setPlainText(message),
        )
        return job

    def _on_details(self, name: str, details: Any) -> None:
        if self.selected_name() not in ("", name):
            return  # an older answer for a function no longer selected
        cfg = details.configuration
        keys = ("FunctionName", "FunctionArn", "Runtime", "Handler", "MemorySize", "Timeout", "Architectures")
        lines = [f"{k:<14}{cfg.get(k)}" for k in keys if k in cfg]
        lines.append(f"{'Role':<14}{cfg.get('Role', '')}")
        lines.append(f"{'CodeSha256':<14}{cfg.get('CodeSha256', '')}")
        env = (cfg.get("Environment") or {}).get("Variables") or {}
        if env:
            lines.append("Environment   " + json.dumps(env, sort_keys=True))
        layers = [layer.get("Arn", "") for layer in cfg.get("Layers") or []]
        if layers:
            lines.append("Layers        " + "\n              ".join(layers))
        if details.tags:
            lines.append("Tags          " + json.dumps(details.tags, sort_keys=True))
        versions = [str(v.get("Version")) for v in details.versions]
        lines.append("Versions      " + (", ".join(versions) or "—"))
        aliases = [f"{a.get('Name')} → {a.get('FunctionVersion')}" for a in details.aliases]
        lines.append("Aliases       " + (", ".join(aliases) or "—"))
        self.details.setPlainText("\n".join(lines))

    def _invoke(self) -> None:
        name = self.selected_name()
        if name:
            self.invoke_requested.emit(name)

    def fetch_logs(self) -> Job | None:
        from app.deploy.remote import fetch_logs

        name = self.selected_name()
        if not name:
            return None
        aws = self._aws
        start = dt.datetime.now(dt.UTC) - LOGS_SINCE
        self.logs_started.emit(name)

        def work(sink: Callable[[str], None], cancel: threading.Event) -> int:
            events = fetch_logs(aws.connection(), name, start=start, cancel=cancel)
            for ev in events:
                sink(ev.line())
            return len(events)

        return self._submit(
            work,
            "aws-logs",
            lambda count: self.message.emit(f"{count} log lines of {name} (last hour)"),
            self.message.emit,
            deliver_lines=True,
        )

    def set_following(self, on: bool) -> None:
        """Follow the selected function's logs (polling on the pool) until toggled off or closed."""
        if self.follow_button.isChecked() != on:
            self.follow_button.setChecked(on)  # re-enters through toggled
            return
        if not on:
            if self._follow_job is not None:
                self._follow_job.cancel()
                self._follow_job = None
            self._on_selection()
            return
        name = self.selected_name()
        if not name or self._follow_job is not None:
            if not name:
                self.follow_button.setChecked(False)
            return
        from app.deploy.remote import follow_logs

        aws = self._aws  # the panel keeps what it shows: followed lines are added below

        def work(sink: Callable[[str], None], cancel: threading.Event) -> None:
            follow_logs(
                aws.connection(),
                name,
                lambda events: sink("\n".join(ev.line() for ev in events)),
                cancel,
                poll_interval=FOLLOW_POLL_S,
            )

        def stopped(message: str = "") -> None:
            if self._follow_job is job:
                self._follow_job = None
                self.follow_button.setChecked(False)
            if message:
                self.message.emit(message)

        job = self._submit(work, "aws-follow", lambda _: stopped(), stopped, deliver_lines=True)
        self._follow_job = job
        self.message.emit(f"Following the logs of {name}")

    def is_following(self) -> bool:
        return self._follow_job is not None

    def download(self) -> Job | None:
        name = self.selected_name()
        folder = self.choose_folder() if name else ""
        if not folder:
            return None
        dest = Path(folder)
        if dest.exists() and any(dest.iterdir()):
            dest = dest / name  # a folder with things in it: the project goes into a new subfolder
        from app.deploy.download import download_function

        aws, fetch = self._aws, self.fetch
        self.notice.hide()
        self.message.emit(f"Downloading {name} to {dest}…")
        return self._submit(
            lambda sink, cancel: download_function(aws.connection(), name, dest, fetch=fetch, cancel=cancel),
            "aws-download",
            self._on_downloaded,
            self._on_download_failed,
        )

    def _on_download_failed(self, message: str) -> None:
        self.notice.setText(f"Download failed: {message}")
        self.notice.setToolTip(message)
        self.notice.show()
        self.message.emit(message)

    def _on_downloaded(self, path: Any) -> None:
        self.message.emit(f"Downloaded to {path}")
        if self.ask_open(str(path)):
            self.open_project_requested.emit(str(path))

    def folder_dialog(self) -> QFileDialog:
        """A folder picker that also takes a new name (the download creates the folder)."""
        dialog = QFileDialog(self, "Download into a folder (a new project; type a new name to create it)")
        dialog.setFileMode(QFileDialog.FileMode.AnyFile)
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog)
        dialog.setNameFilter("Folders (*)")
        dialog.setLabelText(QFileDialog.DialogLabel.FileName, "Folder:")
        dialog.setLabelText(QFileDialog.DialogLabel.Accept, "Download")
        return dialog

    def _choose_folder(self) -> str:
        dialog = self.folder_dialog()
        files = dialog.selectedFiles() if dialog.exec() == QFileDialog.DialogCode.Accepted else []
        return files[0] if files else ""

    def _ask_open(self, path: str) -> bool:
        answer = QMessageBox.question(
            self, "Downloaded", f"The function is now a project in\n{path}\n\nOpen it?"
        )
        return answer == QMessageBox.StandardButton.Yes

    # --- plumbing ---------------------------------------------------------------------------------
    def _submit(
        self,
        work: Any,
        name: str,
        on_value: Callable[[Any], None],
        on_error: Callable[[str], None],
        *,
        deliver_lines: bool = False,
    ) -> Job:
        """Run `work` on the pool; a DeployError/Cancelled arrives as its message and hint on one line
        (the bridge keeps user errors' tracebacks out of the log)."""
        job = self._jobs.submit(work, name)
        if deliver_lines:
            job.log_lines.connect(self.log_lines.emit)
        job.finished.connect(on_value)
        job.failed.connect(lambda text: on_error(job.failure.text(" — ") if job.failure else text))
        return job

    def shutdown(self) -> None:
        """Stop following (the window is closing)."""
        if self._follow_job is not None:
            self._follow_job.cancel()
            self._follow_job = None
