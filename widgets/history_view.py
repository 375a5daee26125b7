"""The invocation history: one row per invoke (function, event, time, outcome, duration), kept per project."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from PySide6.QtCore import QEvent, QPoint, Qt, Signal, SignalInstance
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QMenu, QTableWidget, QTableWidgetItem, QWidget

from runner.result import InvokeResult
from widgets.result_view import OUTCOME_TEXT

COLUMNS = ("Function", "Event", "Time", "Outcome", "Duration")
SHORT_COLUMNS = (2, 3, 4)  # time, outcome and duration: always shown whole


@dataclass
class HistoryEntry:
    function_id: str
    event_name: str
    result: InvokeResult
    when: dt.datetime = field(default_factory=dt.datetime.now)
    log_lines: list[str] = field(default_factory=list)


class HistoryView(QTableWidget):
    """Newest first; selecting a row emits `entry_selected`, double-click `rerun_requested`; a context
    menu re-runs, opens the event (`open_event_requested`) or copies the result."""

    entry_selected = Signal(object)
    rerun_requested = Signal(object)
    open_event_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None, *, limit: int = 200) -> None:
        super().__init__(0, len(COLUMNS), parent)
        self._entries: list[HistoryEntry] = []
        self._limit = limit
        self.setHorizontalHeaderLabels(list(COLUMNS))
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # long names never push the others away
        self.setWordWrap(False)
        self.verticalHeader().hide()
        header = self.horizontalHeader()
        header.setMinimumSectionSize(40)
        # Names share what is left (elided, whole in the tooltip); time, outcome and duration are short
        # and always shown whole: every column readable in a narrow panel, no sideways scrolling.
        # They are sized to their contents by hand: a new row only widens them when it needs to
        # (ResizeToContents measured every kept row again on each invoke: 100 of them when persisted).
        for column in range(len(COLUMNS)):
            mode = QHeaderView.ResizeMode.Stretch if column < 2 else QHeaderView.ResizeMode.Fixed
            header.setSectionResizeMode(column, mode)
        self._fit_short_columns()
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._context_menu)
        self.itemSelectionChanged.connect(self._on_selection)
        self.cellDoubleClicked.connect(lambda row, _column: self._emit_for(row, self.rerun_requested))

    def _fit_short_columns(self, row: int | None = None) -> None:
        """Every row measured (None), or only a new one, which may widen its columns but never narrows them."""
        header, grid = self.horizontalHeader(), 1 if self.showGrid() else 0
        for column in SHORT_COLUMNS:
            if row is None:
                width = max(header.sectionSizeHint(column), self.sizeHintForColumn(column))
            else:
                cell = self.sizeHintForIndex(self.model().index(row, column)).width() + grid
                width = max(header.sectionSize(column), cell)
            if width != header.sectionSize(column):
                header.resizeSection(column, width)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._fit_short_columns()

    def add_entry(self, entry: HistoryEntry) -> None:
        self._entries.insert(0, entry)
        del self._entries[self._limit :]
        self.blockSignals(True)
        self.insertRow(0)
        self._fill_row(0, entry)
        self._fit_short_columns(0)
        while self.rowCount() > self._limit:
            self.removeRow(self.rowCount() - 1)
        self.blockSignals(False)

    def set_entries(self, entries: list[HistoryEntry]) -> None:
        """Replace the rows (newest first): another project's history, or the one kept on disk."""
        self.blockSignals(True)
        self.setRowCount(0)
        self._entries = list(entries[: self._limit])
        self.setRowCount(len(self._entries))
        for row, entry in enumerate(self._entries):
            self._fill_row(row, entry)
        self._fit_short_columns()
        self.blockSignals(False)

    def _fill_row(self, row: int, entry: HistoryEntry) -> None:
        metrics = entry.result.metrics
        today = entry.when.date() == dt.date.today()
        cells = (
            entry.function_id,
            entry.event_name or "(empty)",
            entry.when.strftime("%H:%M:%S" if today else "%b %d %H:%M"),
            OUTCOME_TEXT.get(entry.result.outcome, str(entry.result.outcome)),
            f"{metrics.duration_ms:.1f} ms" if metrics else "—",
        )
        for column, text in enumerate(cells):
            item = QTableWidgetItem(text)
            item.setToolTip(text)
            self.setItem(row, column, item)

    def entries(self) -> list[HistoryEntry]:
        return list(self._entries)

    def select_row(self, row: int) -> None:
        self.selectRow(row)

    def build_menu(self, row: int) -> QMenu | None:
        if not 0 <= row < len(self._entries):
            return None
        entry = self._entries[row]
        menu = QMenu(self)
        menu.addAction("Re-run", lambda: self.rerun_requested.emit(entry))
        open_event = menu.addAction("Open Event", lambda: self.open_event_requested.emit(entry))
        open_event.setEnabled(bool(entry.event_name))
        menu.addAction("Copy Result", lambda: copy_result(entry))
        return menu

    def _context_menu(self, point: QPoint) -> None:
        menu = self.build_menu(self.rowAt(point.y()))
        if menu is not None:
            menu.popup(self.viewport().mapToGlobal(point))

    def _emit_for(self, row: int, signal: SignalInstance) -> None:
        if 0 <= row < len(self._entries):
            signal.emit(self._entries[row])

    def _on_selection(self) -> None:
        rows = self.selectionModel().selectedRows()
        if rows and rows[0].row() < len(self._entries):
            self.entry_selected.emit(self._entries[rows[0].row()])


def copy_result(entry: HistoryEntry) -> str:
    """The result as the CLI's --json prints it, on the clipboard."""
    text = json.dumps(entry.result.to_json(), indent=2, ensure_ascii=False)
    QGuiApplication.clipboard().setText(text)
    return text
