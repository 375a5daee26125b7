"""The live timeline of a stack operation: stack events, newest first, coloured by status."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QHeaderView, QTreeWidget, QTreeWidgetItem, QWidget

MAX_ROWS = 2000


def status_color(status: str) -> str:
    if status.endswith("_FAILED") or status.startswith(("ROLLBACK", "UPDATE_ROLLBACK")):
        return "#c62828"
    if status.endswith("_IN_PROGRESS"):
        return "#ef6c00"
    if status.endswith("_COMPLETE"):
        return "#2e7d32"
    return "#424242"


class StackTimeline(QTreeWidget):
    """Each `StackEvent` as a row (time, status, resource, type, reason); new events go on top."""

    COLUMNS = ("Time", "Status", "Resource", "Type", "Reason")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setColumnCount(len(self.COLUMNS))
        self.setHeaderLabels(list(self.COLUMNS))
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)
        self._seen: set[str] = set()
        header = self.header()
        for column in range(4):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)

    def clear_events(self) -> None:
        self.clear()
        self._seen.clear()

    def add_event(self, event: Any) -> None:
        """Insert one event in time order (newest first); an event seen before is ignored."""
        if event.event_id in self._seen:
            return
        self._seen.add(event.event_id)
        item = QTreeWidgetItem(
            [f"{event.timestamp:%H:%M:%S}", event.status, event.logical_id, event.resource_type, event.reason]
        )
        item.setData(0, 256, event.timestamp.timestamp())
        item.setForeground(1, QBrush(QColor(status_color(event.status))))
        item.setToolTip(4, event.reason)
        row = 0
        while row < self.topLevelItemCount() and self._stamp(row) > item.data(0, 256):
            row += 1
        self.insertTopLevelItem(row, item)
        while self.topLevelItemCount() > MAX_ROWS:
            self.takeTopLevelItem(self.topLevelItemCount() - 1)

    def _stamp(self, row: int) -> float:
        it = self.topLevelItem(row)
        return float((it.data(0, 256) if it is not None else 0) or 0)

    def show_events(self, events: list[Any]) -> None:
        self.clear_events()
        for event in events:
            self.add_event(event)

    def rows(self) -> list[tuple[str, ...]]:
        return [
            tuple(it.text(c) for c in range(len(self.COLUMNS)))
            for i in range(self.topLevelItemCount())
            if (it := self.topLevelItem(i)) is not None
        ]
