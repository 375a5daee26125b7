"""The change-set review of a stack deploy: one row per resource, its changed properties below it."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QHeaderView, QTreeWidget, QTreeWidgetItem, QWidget

ACTION_COLORS = {"Add": "#2e7d32", "Modify": "#1565c0", "Remove": "#c62828", "Import": "#6a1b9a"}
DANGER_BACKGROUND = "#ffebee"


class StackReviewTable(QTreeWidget):
    """Shows a `Review`: action, logical id, type, replacement; details (before → after) as children."""

    COLUMNS = ("Action", "Resource", "Type", "Replacement")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setColumnCount(len(self.COLUMNS))
        self.setHeaderLabels(list(self.COLUMNS))
        self.setRootIsDecorated(True)
        self.setUniformRowHeights(True)
        self.setAlternatingRowColors(True)
        header = self.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)

    def show_review(self, review: Any) -> None:
        """Replace the rows with the review's changes; dangerous lines are red with the reason as tooltip."""
        self.clear()
        for change in review.changes:
            replacement = change.replacement if change.action == "Modify" and change.replacement else ""
            mark = "⚠ " if change.dangerous else ""
            item = QTreeWidgetItem(
                [mark + change.action, change.logical_id, change.resource_type, replacement]
            )
            item.setForeground(0, QBrush(QColor(ACTION_COLORS.get(change.action, "#424242"))))
            tip = change.danger or (change.physical_id or "")
            for column in range(len(self.COLUMNS)):
                item.setToolTip(column, tip)
                if change.dangerous:
                    item.setBackground(column, QBrush(QColor(DANGER_BACKGROUND)))
            for detail in change.details:
                child = QTreeWidgetItem(
                    ["", detail.label(), detail.change_source or "", detail.requires_recreation or ""]
                )
                child.setToolTip(1, detail.label())
                item.addChild(child)
            self.addTopLevelItem(item)
            item.setExpanded(bool(change.details) and len(review.changes) <= 20)

    def rows(self) -> list[tuple[str, ...]]:
        """The top-level rows as text (for tests and copy)."""
        out = []
        for i in range(self.topLevelItemCount()):
            item = self.topLevelItem(i)
            if item is not None:
                out.append(tuple(item.text(c) for c in range(len(self.COLUMNS))))
        return out
