"""The Stacks part of the AWS dock: stacks → resources, outputs, recent events; refresh, deploy, delete."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from PySide6.QtCore import QPoint, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QHeaderView,
    QInputDialog,
    QMenu,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.aws_context import AwsContext
from widgets.jobs import Job, JobBridge
from widgets.stack_timeline import status_color

KIND, NAME = Qt.ItemDataRole.UserRole, Qt.ItemDataRole.UserRole + 1
EVENTS_SHOWN = 20


def console_url(region: str, kind: str, name: str) -> str:
    base = f"https://{region}.console.aws.amazon.com"
    if kind == "function":
        return f"{base}/lambda/home?region={region}#/functions/{quote(name, safe='')}"
    return f"{base}/cloudformation/home?region={region}#/stacks/stackinfo?stackId={quote(name, safe='')}"


class StackExplorer(QWidget):
    """A tree of the region's stacks; expanding one reads its resources, outputs and recent events.

    `function_selected(name)`: a Lambda function of a stack was double-clicked (show its function node).
    `deploy_requested(stack)`: deploy from the context menu (the window opens the Deploy dialog).
    """

    function_selected = Signal(str)
    deploy_requested = Signal(str)
    message = Signal(str)

    def __init__(self, aws: AwsContext, jobs: JobBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._aws, self._jobs = aws, jobs
        self._list_job: Job | None = None
        self.ask_delete: Callable[[str, str], bool] = self._ask_delete
        self.open_url: Callable[[str], Any] = lambda url: QDesktopServices.openUrl(QUrl(url))
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Stack / resource", "Status / value", "Type"])
        self.tree.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tree)
        self.tree.itemExpanded.connect(self._on_expanded)
        self.tree.itemDoubleClicked.connect(self._on_double_click)
        self.tree.customContextMenuRequested.connect(self._menu)

    # --- listing ------------------------------------------------------------------------------------
    def refresh(self) -> Job | None:
        if self._list_job is not None:
            return None
        from app.deploy.stack.manage import list_stacks

        aws = self._aws
        self._list_job = self._submit(
            lambda s, c: list_stacks(aws.connection()), "stack-list", self._on_listed
        )
        return self._list_job

    def _on_listed(self, value: Any) -> None:
        self._list_job = None
        if isinstance(value, str):
            self.message.emit(value)
            return
        self.tree.clear()
        for stack in value:
            item = QTreeWidgetItem([stack.name, stack.status, "AWS::CloudFormation::Stack"])
            item.setData(0, KIND, "stack")
            item.setData(0, NAME, stack.name)
            item.setForeground(1, _brush(stack.status))
            item.setToolTip(0, stack.description)
            item.addChild(QTreeWidgetItem(["loading…"]))
            self.tree.addTopLevelItem(item)

    def stack_names(self) -> list[str]:
        return [
            str(it.data(0, NAME))
            for i in range(self.tree.topLevelItemCount())
            if (it := self.tree.topLevelItem(i)) is not None
        ]

    def stack_item(self, name: str) -> QTreeWidgetItem | None:
        for i in range(self.tree.topLevelItemCount()):
            it = self.tree.topLevelItem(i)
            if it is not None and it.data(0, NAME) == name:
                return it
        return None

    # --- one stack ----------------------------------------------------------------------------------
    def _on_expanded(self, item: QTreeWidgetItem) -> None:
        child = item.child(0) if item.childCount() == 1 else None
        if item.data(0, KIND) == "stack" and child is not None and child.text(0) == "loading…":
            self.load_stack(str(item.data(0, NAME)))

    def load_stack(self, name: str) -> Job:
        from app.deploy.stack.events import outputs_of, recent_events
        from app.deploy.stack.manage import require_stack, stack_resources

        aws = self._aws

        def work(sink: Callable[[str], None], cancel: threading.Event) -> Any:
            conn = aws.connection()
            stack = require_stack(conn, name)
            return (
                stack,
                stack_resources(conn, name),
                outputs_of(stack),
                recent_events(conn, name, limit=EVENTS_SHOWN),
            )

        return self._submit(work, "stack-describe", lambda value: self._on_loaded(name, value))

    def _on_loaded(self, name: str, value: Any) -> None:
        item = self.stack_item(name)
        if item is None:
            return
        item.takeChildren()
        if isinstance(value, str):
            item.addChild(QTreeWidgetItem([value]))
            return
        stack, resources, outputs, events = value
        item.setData(0, Qt.ItemDataRole.UserRole + 2, stack.get("StackId", name))
        group = QTreeWidgetItem([f"Resources ({len(resources)})"])
        for r in resources:
            child = QTreeWidgetItem([r.logical_id, r.physical_id, r.resource_type])
            child.setData(0, KIND, "function" if r.resource_type == "AWS::Lambda::Function" else "resource")
            child.setData(0, NAME, r.physical_id)
            child.setToolTip(0, ("kept on delete (Retain); " if r.retained else "") + r.status)
            group.addChild(child)
        out = QTreeWidgetItem([f"Outputs ({len(outputs)})"])
        for o in outputs:
            child = QTreeWidgetItem([o.key, o.value, o.description])
            child.setData(0, KIND, "url" if o.is_url else "output")
            child.setData(0, NAME, o.value)
            out.addChild(child)
        recent = QTreeWidgetItem([f"Recent events ({len(events)})"])
        for e in events:
            child = QTreeWidgetItem([f"{e.timestamp:%H:%M:%S} {e.logical_id}", e.status, e.reason])
            child.setForeground(1, _brush(e.status))
            recent.addChild(child)
        item.addChildren([group, out, recent])
        group.setExpanded(True)
        out.setExpanded(True)

    # --- actions ------------------------------------------------------------------------------------
    def _on_double_click(self, item: QTreeWidgetItem, _column: int) -> None:
        kind, name = item.data(0, KIND), item.data(0, NAME)
        if kind == "function" and name:
            self.function_selected.emit(str(name))
        elif kind == "url" and name:
            self.open_url(str(name))

    def _menu(self, pos: QPoint) -> None:
        item = self.tree.itemAt(pos)
        menu = QMenu(self)
        menu.addAction("Refresh", self.refresh)
        if item is not None and item.data(0, KIND) == "stack":
            name = str(item.data(0, NAME))
            menu.addAction("Deploy…", lambda: self.deploy_requested.emit(name))
            menu.addAction("Delete…", lambda: self.delete(name))
        if item is not None and item.data(0, KIND) in ("stack", "function"):
            menu.addAction("Open in the AWS console", lambda: self.open_console(item))
        menu.popup(self.tree.viewport().mapToGlobal(pos))

    def open_console(self, item: QTreeWidgetItem) -> None:
        region = self._aws.key()[1] or "us-east-1"
        kind = str(item.data(0, KIND))
        name = str(item.data(0, Qt.ItemDataRole.UserRole + 2) or item.data(0, NAME))
        self.open_url(console_url(region, kind, name))

    def delete(self, name: str) -> Job | None:
        """Delete after the stack's name is typed back; what is retained is said in the question."""
        if not self.ask_delete(
            name, "Resources with DeletionPolicy Retain stay; everything else is deleted."
        ):
            return None
        from app.deploy.stack.manage import delete_stack

        aws = self._aws
        self.message.emit(f"Deleting stack {name}…")

        def done(value: Any) -> None:
            self.message.emit(value if isinstance(value, str) else value.summary().splitlines()[0])
            self.refresh()

        return self._submit(lambda s, c: delete_stack(aws.connection(), name), "stack-delete", done)

    def _ask_delete(self, name: str, note: str) -> bool:
        typed, ok = QInputDialog.getText(
            self, "Delete stack", f"{note}\n\nType the stack name ({name}) to delete it:"
        )
        return ok and typed.strip() == name

    def _submit(self, work: Any, job_name: str, on_value: Callable[[Any], None]) -> Job:
        """Run on the pool; a DeployError arrives as its message (a str) instead of the value."""

        def guarded(sink: Callable[[str], None], cancel: threading.Event) -> Any:
            from app.deploy.errors import DeployError

            try:
                return work(sink, cancel)
            except DeployError as exc:
                return str(exc).replace("\n", " — ")

        job = self._jobs.submit(guarded, job_name)
        job.finished.connect(on_value)
        job.failed.connect(lambda message: on_value(str(message)))
        return job


def _brush(status: str) -> Any:
    from PySide6.QtGui import QBrush, QColor

    return QBrush(QColor(status_color(status)))
