"""The small views of the Local cloud dock: queues, buckets, tables, topics and buses, schedules."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

if TYPE_CHECKING:
    from app.local.inspect import Snapshot


def _table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    return table


def _fill(table: QTableWidget, rows: list[list[str]]) -> None:
    selected = table.currentRow()
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            table.setItem(r, c, QTableWidgetItem(text))
    if 0 <= selected < len(rows):
        table.selectRow(selected)


def _lay_out_with_button(view: QWidget, main: QWidget, *buttons: QPushButton) -> None:
    """Lays `view` out as `main` filling it and `buttons` in a row at the bottom right."""
    layout = QVBoxLayout(view)
    layout.setContentsMargins(2, 2, 2, 2)
    layout.addWidget(main, 1)
    row = QHBoxLayout()
    row.addStretch(1)
    for button in buttons:
        row.addWidget(button)
    layout.addLayout(row)


class QueuesView(QWidget):
    """Queues with depth, in-flight count and dead-letter queue; send a message to the selected one."""

    send_requested = Signal(str, str)  # queue logical id, body
    purge_requested = Signal(str)  # queue logical id

    def __init__(self) -> None:
        super().__init__()
        self.table = _table(["queue", "depth", "in flight", "dead-letter queue", "local name"])
        self.body = QLineEdit(placeholderText='message body, e.g. {"id": "o-1"}')
        self.send = QPushButton("Send")
        self.send.clicked.connect(self._send)
        self.body.returnPressed.connect(self._send)
        self.purge = QPushButton("Purge")
        self.purge.setToolTip("Delete every message of the selected queue")
        self.purge.clicked.connect(self._purge)
        row = QHBoxLayout()
        row.addWidget(self.body, 1)
        row.addWidget(self.send)
        row.addWidget(self.purge)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.table, 1)
        layout.addLayout(row)

    def update_from(self, snap: Snapshot) -> None:
        _fill(
            self.table,
            [[q.logical_id, str(q.depth), str(q.in_flight), q.dead_letter, q.name] for q in snap.queues],
        )
        if self.table.currentRow() < 0 and snap.queues:
            self.table.selectRow(0)

    def _send(self) -> None:
        item = self.table.item(self.table.currentRow(), 0)
        if item is not None and self.body.text():
            self.send_requested.emit(item.text(), self.body.text())

    def _purge(self) -> None:
        item = self.table.item(self.table.currentRow(), 0)
        if item is not None:
            self.purge_requested.emit(item.text())


class BucketsView(QWidget):
    """Buckets and their objects; upload a file, or drop one on the list (the bucket's triggers fire)."""

    upload_requested = Signal(str, str, bytes)  # bucket logical id, key, data
    download_requested = Signal(str, str, str)  # bucket logical id, key, file path to save to
    delete_requested = Signal(str, str)  # bucket logical id, key

    def __init__(self) -> None:
        super().__init__()
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["bucket / object", "size"])
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.tree.setAcceptDrops(True)
        self.tree.viewport().setAcceptDrops(True)
        self.tree.dragEnterEvent = self._drag_enter  # type: ignore[method-assign]
        self.tree.dragMoveEvent = self._drag_enter  # type: ignore[method-assign,assignment]
        self.tree.dropEvent = self._drop  # type: ignore[method-assign]
        self.upload = QPushButton("Upload file…")
        self.upload.clicked.connect(self._pick)
        self.download = QPushButton("Download…")
        self.download.clicked.connect(self._download)
        self.delete = QPushButton("Delete")
        self.delete.clicked.connect(self._delete)
        self.ask_save_path: Callable[[str], str] = self._ask_save_path  # tests answer for the user
        _lay_out_with_button(self, self.tree, self.upload, self.download, self.delete)

    def update_from(self, snap: Snapshot) -> None:
        current = self.current_bucket()
        self.tree.clear()
        for bucket in snap.buckets:
            top = QTreeWidgetItem(
                [f"{bucket.logical_id}  ({bucket.name})", f"{len(bucket.objects)} object(s)"]
            )
            top.setData(0, Qt.ItemDataRole.UserRole, bucket.logical_id)
            for key, size in bucket.objects:
                child = QTreeWidgetItem([key, f"{size} B"])
                child.setData(0, Qt.ItemDataRole.UserRole, bucket.logical_id)
                child.setData(1, Qt.ItemDataRole.UserRole, key)
                top.addChild(child)
            self.tree.addTopLevelItem(top)
            top.setExpanded(True)
            if bucket.logical_id == current or (current is None and self.tree.topLevelItemCount() == 1):
                self.tree.setCurrentItem(top)

    def current_bucket(self) -> str | None:
        item = self.tree.currentItem()
        value = item.data(0, Qt.ItemDataRole.UserRole) if item is not None else None
        return str(value) if value else None

    def current_object(self) -> tuple[str, str] | None:
        """(bucket logical id, key) of the selected object, or None when a bucket (or nothing) is selected."""
        item = self.tree.currentItem()
        key = item.data(1, Qt.ItemDataRole.UserRole) if item is not None else None
        bucket = self.current_bucket()
        return (bucket, str(key)) if key and bucket else None

    def _download(self) -> None:
        selected = self.current_object()
        if selected is not None:
            path = self.ask_save_path(selected[1])
            if path:
                self.download_requested.emit(selected[0], selected[1], path)

    def _ask_save_path(self, key: str) -> str:
        path, _ = QFileDialog.getSaveFileName(self, "Save the object as", key.rsplit("/", 1)[-1])
        return path

    def _delete(self) -> None:
        selected = self.current_object()
        if selected is not None:
            self.delete_requested.emit(*selected)

    def _pick(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Upload a file to the bucket")
        if path:
            self._upload(Path(path))

    def _upload(self, path: Path) -> None:
        bucket = self.current_bucket()
        if bucket is not None and path.is_file():
            self.upload_requested.emit(bucket, path.name, path.read_bytes())

    def _drag_enter(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def _drop(self, event: QDropEvent) -> None:
        target = self.tree.itemAt(event.position().toPoint())
        if target is not None:
            self.tree.setCurrentItem(target)
        for url in event.mimeData().urls():
            if url.isLocalFile():
                self._upload(Path(url.toLocalFile()))
        event.acceptProposedAction()


class TablesView(QWidget):
    """A table's items; select one to edit it as JSON, or write a new one, then Put item."""

    put_requested = Signal(str, str)  # table logical id, item JSON
    delete_requested = Signal(str, str)  # table logical id, item JSON (its key attributes name it)

    def __init__(self) -> None:
        super().__init__()
        self.choice = QComboBox()
        self.items = _table(["item"])
        self.items.itemSelectionChanged.connect(self._edit_selected)
        self.editor = QPlainTextEdit(placeholderText='{"id": "o-1", "total": 12}')
        self.editor.setMaximumHeight(70)
        self.put = QPushButton("Put item")
        self.put.clicked.connect(
            lambda: self.put_requested.emit(self.choice.currentData(), self.editor.toPlainText())
        )
        self.delete = QPushButton("Delete item")
        self.delete.setToolTip("Delete the item the editor names (by its key attributes)")
        self.delete.clicked.connect(
            lambda: self.delete_requested.emit(self.choice.currentData(), self.editor.toPlainText())
        )
        self.choice.currentIndexChanged.connect(lambda _i: self._show(self._snapshot))
        self._snapshot: Snapshot | None = None
        self._rows: list[dict[str, Any]] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.choice)
        layout.addWidget(self.items, 1)
        row = QHBoxLayout()
        row.addWidget(self.editor, 1)
        buttons = QVBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.delete)
        buttons.addWidget(self.put)
        row.addLayout(buttons)
        layout.addLayout(row)

    def update_from(self, snap: Snapshot) -> None:
        self._snapshot = snap
        ids = [t.logical_id for t in snap.tables]
        if ids != [self.choice.itemData(i) for i in range(self.choice.count())]:
            self.choice.blockSignals(True)
            self.choice.clear()
            for table in snap.tables:
                self.choice.addItem(f"{table.logical_id}  ({table.name})", table.logical_id)
            self.choice.blockSignals(False)
        self._show(snap)

    def _show(self, snap: Snapshot | None) -> None:
        table = next(
            (t for t in (snap.tables if snap else []) if t.logical_id == self.choice.currentData()), None
        )
        if table is None:
            self.items.setRowCount(0)
            return
        columns = list(table.keys) + sorted({k for item in table.items for k in item} - set(table.keys))
        self.items.setColumnCount(len(columns))
        self.items.setHorizontalHeaderLabels(columns)
        self._rows = table.items
        self.items.blockSignals(True)
        _fill(self.items, [[_cell(item.get(c)) for c in columns] for item in table.items])
        self.items.blockSignals(False)

    def _edit_selected(self) -> None:
        row = self.items.currentRow()
        if 0 <= row < len(self._rows):
            self.editor.setPlainText(json.dumps(self._rows[row], default=str))


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, default=str)


class PublishView(QWidget):
    """Publish to a topic or put an event on a bus (the default one included)."""

    publish_requested = Signal(str, str, str)  # "topic" or "bus", logical id or bus name, text
    text_wanted = Signal()  # the window answers with set_text(the event editor's text)

    def __init__(self) -> None:
        super().__init__()
        self.target = QComboBox()
        self.text = QPlainTextEdit(
            placeholderText='topic: the message text · bus: {"source": "shop", "detail-type": "Order", "detail": {}}'
        )
        self.send = QPushButton("Publish / put event")
        self.send.clicked.connect(self._send)
        self.from_editor = QPushButton("Use the event editor's event")
        self.from_editor.clicked.connect(self.text_wanted)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.target)
        layout.addWidget(self.text, 1)
        row = QHBoxLayout()
        row.addWidget(self.from_editor)
        row.addStretch(1)
        row.addWidget(self.send)
        layout.addLayout(row)

    def update_from(self, snap: Snapshot) -> None:
        wanted = (
            [("topic", t[0]) for t in snap.topics]
            + [("bus", b[0]) for b in snap.buses]
            + [("bus", "default")]
        )
        if wanted == [self.target.itemData(i) for i in range(self.target.count())]:
            return
        self.target.clear()
        for kind, name in wanted:
            self.target.addItem(f"{'topic' if kind == 'topic' else 'event bus'}: {name}", (kind, name))

    def set_text(self, text: str) -> None:
        """Fills the message from the event editor's current event."""
        self.text.setPlainText(text)

    def _send(self) -> None:
        data = self.target.currentData()
        if data:
            self.publish_requested.emit(data[0], data[1], self.text.toPlainText())


class SchedulesView(QWidget):
    """Schedules with their next firing times; fire the selected one now."""

    fire_requested = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.table = _table(["schedule", "expression", "next firings"])
        self.fire = QPushButton("Fire now")
        self.fire.clicked.connect(self._fire)
        _lay_out_with_button(self, self.table, self.fire)

    def update_from(self, snap: Snapshot) -> None:
        _fill(self.table, [[name, expr, ", ".join(times)] for name, expr, times in snap.schedules])

    def _fire(self) -> None:
        item = self.table.item(self.table.currentRow(), 0)
        if item is not None:
            self.fire_requested.emit(item.text())
