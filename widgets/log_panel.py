"""The log panel: live function output, coloured by kind, searchable and filterable, capped and batched."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QFontDatabase, QGuiApplication, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHeaderView,
    QLineEdit,
    QSizePolicy,
    QTableView,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from widgets.themes import LIGHT, Theme

NORMAL, START, END, REPORT, ERROR, WARNING = range(6)
KIND_NAMES = {
    NORMAL: "normal",
    START: "start",
    END: "end",
    REPORT: "report",
    ERROR: "error",
    WARNING: "warning",
}
_ERROR_RE = re.compile(r"\b(ERROR|CRITICAL|Traceback|[A-Z]\w*(Error|Exception))\b|^\s+File \"|^\[ERROR\]")
_WARNING_RE = re.compile(r"\bWARN(ING)?\b")
FILTERS = {
    "All lines": None,
    "Errors + warnings": {ERROR, WARNING},
    "Errors": {ERROR},
    "START/END/REPORT": {START, END, REPORT},
}
CHUNK = 5_000  # lines per event-loop turn: big bursts are ingested without a stall


def classify(line: str) -> int:
    if line.startswith(("START RequestId", "END RequestId", "REPORT RequestId", "INIT_")):
        return START if line[0] == "S" else END if line[0] == "E" else REPORT
    # Cheap substring tests first: most lines are plain output and never reach a regex.
    if (
        "rror" in line or "Exception" in line or "Traceback" in line or "CRITICAL" in line or 'File "' in line
    ) and (_ERROR_RE.search(line)):
        return ERROR
    return WARNING if "WARN" in line and _WARNING_RE.search(line) else NORMAL


UNKNOWN = -1


class LogModel(QAbstractListModel):
    """Lines with sequence numbers; a filter keeps the sequence numbers of the rows it shows."""

    def __init__(self, max_lines: int, parent: Any = None) -> None:
        super().__init__(parent)
        self.max_lines = max_lines
        self._text: list[str] = []
        self._kind: list[int] = []
        self._base = 0  # sequence number of _text[0]
        self._rows: list[int] | None = None
        self._accept: Callable[[str, int], bool] | None = None
        self._brushes: dict[int, QBrush] = {}
        self._bold = QFont()
        self._bold.setBold(True)
        self.set_theme(LIGHT)

    def set_theme(self, theme: Theme) -> None:
        colours = {START: theme.info, END: theme.info, REPORT: theme.success, ERROR: theme.error}
        colours[WARNING] = theme.warning
        self._brushes = {k: QBrush(QColor(c)) for k, c in colours.items()}
        if self._text:
            self.dataChanged.emit(self.index(0), self.index(self.rowCount() - 1))

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        if parent.isValid():
            return 0
        return len(self._rows) if self._rows is not None else len(self._text)

    def _at(self, row: int) -> int:
        return (self._rows[row] if self._rows is not None else self._base + row) - self._base

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid():
            return None
        i = self._at(index.row())
        if role == Qt.ItemDataRole.DisplayRole:
            # Lambda's log lines are tab-separated ("[INFO]\t<time>\t<request id>\t<message>"): drawn
            # with tab stops the message starts far right, off a narrow panel; two spaces keep it in view.
            text = self._text[i]
            return text.replace("\t", "  ") if "\t" in text else text
        if role == Qt.ItemDataRole.ForegroundRole:
            return self._brushes.get(self._kind_at(i))
        if role == Qt.ItemDataRole.FontRole and self._kind_at(i) in (START, END, REPORT):
            return self._bold
        return None

    def _kind_at(self, i: int) -> int:
        # Kinds are worked out when a line is first shown (or filtered): appending stays cheap.
        kind = self._kind[i]
        if kind == UNKNOWN:
            kind = self._kind[i] = classify(self._text[i])
        return kind

    def _classify_all(self) -> None:
        kinds, text = self._kind, self._text
        for i, kind in enumerate(kinds):
            if kind == UNKNOWN:
                kinds[i] = classify(text[i])

    def line(self, row: int) -> str:
        return self._text[self._at(row)]

    def kind(self, row: int) -> int:
        return self._kind_at(self._at(row))

    def all_lines(self) -> list[str]:
        return list(self._text)

    def append(self, lines: list[str]) -> None:
        if not lines:
            return
        lines = lines[-self.max_lines :]
        kinds = [UNKNOWN] * len(lines) if self._accept is None else [classify(line) for line in lines]
        self._trim(len(self._text) + len(lines) - self.max_lines)
        first_seq = self._base + len(self._text)
        if self._rows is None:
            start = len(self._text)
            self.beginInsertRows(QModelIndex(), start, start + len(lines) - 1)
            self._text.extend(lines)
            self._kind.extend(kinds)
            self.endInsertRows()
            return
        self._text.extend(lines)
        self._kind.extend(kinds)
        accept = self._accept
        new = [
            first_seq + i
            for i, (t, k) in enumerate(zip(lines, kinds, strict=True))
            if accept and accept(t, k)
        ]
        if new:
            start = len(self._rows)
            self.beginInsertRows(QModelIndex(), start, start + len(new) - 1)
            self._rows.extend(new)
            self.endInsertRows()

    def _trim(self, overflow: int) -> None:
        if overflow <= 0:
            return
        visible = 0
        if self._rows is None:
            self.beginRemoveRows(QModelIndex(), 0, overflow - 1)
        else:
            visible = bisect_left(self._rows, self._base + overflow)
            if visible:
                self.beginRemoveRows(QModelIndex(), 0, visible - 1)
                del self._rows[:visible]
        del self._text[:overflow]
        del self._kind[:overflow]
        self._base += overflow
        if self._rows is None or visible:
            self.endRemoveRows()

    def set_filter(self, accept: Callable[[str, int], bool] | None) -> None:
        self.beginResetModel()
        self._accept = accept
        if accept is None:
            self._rows = None
        else:
            self._classify_all()
            self._rows = [
                self._base + i
                for i, (t, k) in enumerate(zip(self._text, self._kind, strict=True))
                if accept(t, k)
            ]
        self.endResetModel()

    def clear(self) -> None:
        self.beginResetModel()
        self._base += len(self._text)
        self._text.clear()
        self._kind.clear()
        if self._rows is not None:
            self._rows = []
        self.endResetModel()


class LogPanel(QWidget):
    """Shows log lines as they arrive; `append_log_lines` is the one way in."""

    message = Signal(str)

    def __init__(
        self, parent: QWidget | None = None, *, max_lines: int = 200_000, theme: Theme = LIGHT
    ) -> None:
        super().__init__(parent)
        self.model = LogModel(max_lines, self)
        self.model.set_theme(theme)
        # A table view with fixed row heights: its layout is arithmetic. (QListView and QTreeView call
        # the Python rowCount() once per row on every insert - a million calls for 100,000 lines.)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setShowGrid(False)
        self.view.setWordWrap(False)
        self.view.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.view.horizontalHeader().hide()
        self.view.verticalHeader().hide()
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.view.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)  # one wide column
        rows = self.view.verticalHeader()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(self.view.fontMetrics().height() + 2)
        self._longest = 0  # characters of the longest line so far: sets the column width (no per-row sizing)
        self.search_edit = QLineEdit(placeholderText="Search (Enter)")
        self.search_edit.setMinimumWidth(60)
        self.filter_edit = QLineEdit(placeholderText="Filter lines")
        self.filter_edit.setMinimumWidth(60)
        self.level_combo = QComboBox()
        self.level_combo.addItems(list(FILTERS))
        self.level_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.level_combo.setMinimumContentsLength(9)
        self.wrap_box = QCheckBox("Wrap")
        # A tool bar, not a row of widgets: when the panel is narrow, what does not fit goes into its »
        # menu instead of making the window wider.
        bar = QToolBar()
        bar.setObjectName("logBar")
        bar.setIconSize(QSize(12, 12))
        self.search_edit.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.filter_edit.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        for widget in (self.search_edit, self.filter_edit, self.level_combo, self.wrap_box):
            bar.addWidget(widget)
        for text, slot in (
            ("Clear", self.clear),
            ("Copy", self.copy_to_clipboard),
            ("Save…", self._save_dialog),
        ):
            button = _tool_button(text)
            button.clicked.connect(slot)
            bar.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(bar)
        layout.addWidget(self.view)
        self._pending: deque[list[str]] = deque()
        self._flush_timer = QTimer(self, singleShot=True, interval=0)
        self._flush_timer.timeout.connect(self._flush_chunk)
        self.search_edit.returnPressed.connect(lambda: self.find_next(self.search_edit.text()))
        self.filter_edit.textChanged.connect(self._apply_filter)
        self.level_combo.currentTextChanged.connect(self._apply_filter)
        self.wrap_box.toggled.connect(self.set_wrap)

    # --- the way in -------------------------------------------------------------------------------
    def append_log_lines(self, lines: Iterable[str]) -> None:
        """Queue lines; they are added in chunks so a burst of 100,000 never blocks the event loop."""
        batch = list(lines)
        for i in range(0, len(batch), CHUNK):
            self._pending.append(batch[i : i + CHUNK])
        if not self._flush_timer.isActive():
            self._flush_timer.start()

    def set_lines(self, lines: Iterable[str]) -> None:
        self.clear()
        self.append_log_lines(lines)

    def flush(self) -> None:
        """Add everything queued now (tests, and before saving)."""
        while self._pending:
            self._flush_chunk()

    def pending(self) -> int:
        return sum(len(b) for b in self._pending)

    def _flush_chunk(self) -> None:
        if not self._pending:
            return
        bar = self.view.verticalScrollBar()
        at_bottom = bar.value() >= bar.maximum() - 2
        chunk = self._pending.popleft()
        self.model.append(chunk)
        self._fit_column(max(map(len, chunk), default=0))
        if at_bottom:
            self.view.scrollToBottom()
        if self._pending:
            self._flush_timer.start()

    # --- actions ----------------------------------------------------------------------------------
    def clear(self) -> None:
        self._pending.clear()
        self.model.clear()
        self._longest = 0

    def lines(self) -> list[str]:
        """The lines currently shown (after the filter)."""
        self.flush()
        return [self.model.line(r) for r in range(self.model.rowCount())]

    def text(self) -> str:
        return "\n".join(self.lines())

    def copy_to_clipboard(self) -> None:
        rows = sorted(i.row() for i in self.view.selectionModel().selectedRows())
        text = "\n".join(self.model.line(r) for r in rows) if rows else self.text()
        QGuiApplication.clipboard().setText(text)

    def save_to(self, path: str | Path) -> None:
        self.flush()
        Path(path).write_text("\n".join(self.model.all_lines()) + "\n", encoding="utf-8")

    def _save_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save log", "invoke.log", "Log files (*.log *.txt)")
        if path:
            try:
                self.save_to(path)
            except OSError as exc:
                self.message.emit(f"Cannot save the log: {exc.strerror or exc}")

    def _fit_column(self, longest: int) -> None:
        self._longest = max(self._longest, longest)
        if not self.view.wordWrap():
            width = self.view.fontMetrics().horizontalAdvance("M") * (self._longest + 2)
            self.view.setColumnWidth(0, max(width, self.view.viewport().width()))

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        if self.view.wordWrap():
            self.view.setColumnWidth(0, self.view.viewport().width())
        else:
            self._fit_column(0)

    def set_wrap(self, wrap: bool) -> None:
        """Wrap long lines: rows then size to their text (slower for huge logs, so it is a choice)."""
        rows = self.view.verticalHeader()
        self.view.setWordWrap(wrap)
        if wrap:
            self.view.setColumnWidth(0, self.view.viewport().width())
            rows.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        else:
            rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
            rows.setDefaultSectionSize(self.view.fontMetrics().height() + 2)
            self._fit_column(0)
        if self.wrap_box.isChecked() != wrap:
            self.wrap_box.setChecked(wrap)

    def set_theme(self, theme: Theme) -> None:
        self.model.set_theme(theme)

    def find_next(self, needle: str) -> bool:
        """Select the next shown line containing `needle` (case-insensitive), wrapping around."""
        if not needle:
            return False
        self.flush()
        needle = needle.lower()
        count = self.model.rowCount()
        current = self.view.currentIndex().row()
        for step in range(1, count + 1):
            row = (current + step) % count
            if needle in self.model.line(row).lower():
                index = self.model.index(row)
                self.view.setCurrentIndex(index)
                self.view.scrollTo(index)
                return True
        return False

    def _apply_filter(self) -> None:
        needle = self.filter_edit.text().lower()
        kinds = FILTERS.get(self.level_combo.currentText())
        if not needle and kinds is None:
            self.model.set_filter(None)
            return

        def accept(text: str, kind: int) -> bool:
            return (kinds is None or kind in kinds) and (not needle or needle in text.lower())

        self.model.set_filter(accept)


def _tool_button(text: str, auto_raise: bool = False) -> QToolButton:
    button = QToolButton()
    button.setText(text)
    button.setAutoRaise(auto_raise)
    return button
