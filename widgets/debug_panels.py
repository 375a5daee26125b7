"""The debugger's panels: call stack, variables (lazy expansion), and the watch/evaluate console."""

from __future__ import annotations

import os
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from runner.debug.session import StopInfo

REF_ROLE = Qt.ItemDataRole.UserRole
LOADED_ROLE = Qt.ItemDataRole.UserRole + 1
PLACEHOLDER = "…"


def frame_location(frame: dict[str, Any]) -> tuple[str | None, int]:
    source = frame.get("source")
    path = source.get("path") if isinstance(source, dict) else None
    return (path if isinstance(path, str) else None), int(frame.get("line") or 0)


class CallStackPanel(QListWidget):
    """The stopped thread's frames, innermost first; picking one asks to show it."""

    frame_selected = Signal(int, str, int)  # frame id, local path ('' when unknown), line

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("callStack")
        self._frames: list[dict[str, Any]] = []
        self.currentRowChanged.connect(self._on_row)

    def show_stop(self, stop: StopInfo) -> None:
        self.blockSignals(True)
        self.clear()
        self._frames = list(stop.frames)
        for frame in self._frames:
            path, line = frame_location(frame)
            where = f"{os.path.basename(path)}:{line}" if path else f"line {line}"
            item = QListWidgetItem(f"{frame.get('name', '?')}    {where}")
            item.setToolTip(f"{path}:{line}" if path else str(frame.get("name")))
            self.addItem(item)
        self.blockSignals(False)
        if self._frames:
            self.setCurrentRow(0)

    def clear_stack(self) -> None:
        self._frames = []
        self.clear()

    def frame_names(self) -> list[str]:
        return [str(f.get("name")) for f in self._frames]

    def _on_row(self, row: int) -> None:
        if 0 <= row < len(self._frames):
            frame = self._frames[row]
            path, line = frame_location(frame)
            self.frame_selected.emit(int(frame.get("id") or 0), path or "", line)


class VariablesPanel(QTreeWidget):
    """Scopes and their variables; an object's members are fetched when its row is first expanded."""

    variables_requested = Signal(int)  # a variablesReference whose children are wanted

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("variables")
        self.setColumnCount(3)
        self.setHeaderLabels(["Name", "Value", "Type"])
        header = self.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.setUniformRowHeights(True)
        self.itemExpanded.connect(self._on_expanded)
        self._waiting: dict[int, list[QTreeWidgetItem]] = {}

    def show_scopes(self, scopes: list[dict[str, Any]]) -> None:
        """New stop (or frame): the scopes, the first (Locals) expanded, hence fetched."""
        self.clear()
        self._waiting.clear()
        for scope in scopes:
            item = QTreeWidgetItem([str(scope.get("name", "?")), "", ""])
            self._make_lazy(item, int(scope.get("variablesReference") or 0))
            self.addTopLevelItem(item)
        first = self.topLevelItem(0)
        if first is not None:
            first.setExpanded(True)

    def clear_variables(self) -> None:
        self.clear()
        self._waiting.clear()

    def _make_lazy(self, item: QTreeWidgetItem, reference: int) -> None:
        item.setData(0, REF_ROLE, reference)
        item.setData(0, LOADED_ROLE, False)
        if reference > 0:
            item.addChild(QTreeWidgetItem([PLACEHOLDER, "", ""]))

    def _on_expanded(self, item: QTreeWidgetItem) -> None:
        reference = int(item.data(0, REF_ROLE) or 0)
        if reference <= 0 or item.data(0, LOADED_ROLE):
            return
        item.setData(0, LOADED_ROLE, True)
        self._waiting.setdefault(reference, []).append(item)
        self.variables_requested.emit(reference)

    def add_variables(self, reference: int, variables: list[dict[str, Any]]) -> None:
        """The answer to a variables_requested(reference)."""
        for item in self._waiting.pop(reference, []):
            item.takeChildren()
            for var in variables:
                child = QTreeWidgetItem(
                    [str(var.get("name", "")), str(var.get("value", "")), str(var.get("type") or "")]
                )
                child.setToolTip(1, str(var.get("value", "")))
                self._make_lazy(child, int(var.get("variablesReference") or 0))
                item.addChild(child)

    def scope_names(self) -> list[str]:
        return [self.topLevelItem(i).text(0) for i in range(self.topLevelItemCount())]  # type: ignore[union-attr]

    def find_item(self, *names: str) -> QTreeWidgetItem | None:
        """The row at a name path: ('Locals', 'event', "'n'")."""
        items = [self.topLevelItem(i) for i in range(self.topLevelItemCount())]
        found: QTreeWidgetItem | None = None
        for name in names:
            found = next((it for it in items if it is not None and it.text(0) == name), None)
            if found is None:
                return None
            items = [found.child(i) for i in range(found.childCount())]
        return found


class DebugConsole(QWidget):
    """Watch expressions (re-evaluated at every stop) and a console evaluating in the selected frame."""

    evaluate_requested = Signal(str, str)  # expression, context ('repl' or 'watch')

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("debugConsole")
        self.watch_list = QTreeWidget()
        self.watch_list.setColumnCount(2)
        self.watch_list.setHeaderLabels(["Watch", "Value"])
        self.watch_list.setRootIsDecorated(False)
        self.output = QPlainTextEdit(readOnly=True)
        self.output.setMaximumBlockCount(5000)
        self.output.setPlaceholderText(
            "Evaluate an expression in the paused frame below; logpoints print here"
        )
        self.input = QLineEdit(placeholderText="expression  (Enter: evaluate)")
        self.watch_button = QPushButton("Add Watch")
        self.remove_button = QPushButton("Remove")
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.input, 1)
        row.addWidget(self.watch_button)
        row.addWidget(self.remove_button)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.watch_list)
        split.addWidget(self.output)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(split, 1)
        layout.addLayout(row)
        self.input.returnPressed.connect(self._on_return)
        self.watch_button.clicked.connect(lambda: self.add_watch(self.input.text()))
        self.remove_button.clicked.connect(self._remove_selected)

    def _on_return(self) -> None:
        expression = self.input.text().strip()
        if expression:
            self.output.appendPlainText(f"> {expression}")
            self.input.clear()
            self.evaluate_requested.emit(expression, "repl")

    def add_watch(self, expression: str) -> None:
        expression = expression.strip()
        if not expression or expression in self.watches():
            return
        self.watch_list.addTopLevelItem(QTreeWidgetItem([expression, ""]))
        self.input.clear()
        self.evaluate_requested.emit(expression, "watch")

    def _remove_selected(self) -> None:
        for item in self.watch_list.selectedItems():
            self.watch_list.takeTopLevelItem(self.watch_list.indexOfTopLevelItem(item))

    def watches(self) -> list[str]:
        return [self.watch_list.topLevelItem(i).text(0) for i in range(self.watch_list.topLevelItemCount())]  # type: ignore[union-attr]

    def watch_value(self, expression: str) -> str | None:
        for i in range(self.watch_list.topLevelItemCount()):
            item = self.watch_list.topLevelItem(i)
            if item is not None and item.text(0) == expression:
                return item.text(1)
        return None

    def refresh_watches(self) -> None:
        """At a stop: ask for every watch again."""
        for expression in self.watches():
            self.evaluate_requested.emit(expression, "watch")

    def show_evaluation(self, expression: str, context: str, body: dict[str, Any] | None, error: str) -> None:
        text = error if body is None else str(body.get("result", ""))
        if context == "watch":
            for i in range(self.watch_list.topLevelItemCount()):
                item = self.watch_list.topLevelItem(i)
                if item is not None and item.text(0) == expression:
                    item.setText(1, text)
                    item.setToolTip(1, text)
            return
        self.output.appendPlainText(f"! {text}" if body is None else text)

    def append_output(self, text: str) -> None:
        self.output.appendPlainText(text.rstrip("\n"))

    def output_text(self) -> str:
        return self.output.toPlainText()
