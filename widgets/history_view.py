"""The invocation history: one row per invoke (function, event, time, outcome, duration)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem, QWidget

from runner.result import InvokeResult
from widgets.result_view import OUTCOME_TEXT

COLUMNS = ("Function", "Event", "Time", "Outcome", "Duration")


@dataclass
class HistoryEntry:
    function_id: str
    event_name: str
    result: InvokeResult
    when: dt.datetime = field(default_factory=dt.datetime.now)
    log_lines: list[str] = field(default_factory=list)


class HistoryView(QTableWidget):
    """Newest first; selecting a row emits `entry_selected(HistoryEntry)`."""

    entry_selected = Signal(object)

    def __init__(self, parent: QWidget | None = None, *, limit: int = 200) -> None:
        super().__init__(0, len(COLUMNS), parent)
        self._entries: list[HistoryEntry] = []
        self._limit = limit
        self.setHorizontalHeaderLabels(list(COLUMNS))
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.verticalHeader().hide()
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.horizontalHeader().setStretchLastSection(True)
        self.itemSelectionChanged.connect(self._on_selection)

    def add_entry(self, entry: HistoryEntry) -> None:
        self._entries.insert(0, entry)
        del self._entries[self._limit :]
        metrics = entry.result.metrics
        cells = (
            entry.function_id,
            entry.event_name or "(empty)",
            entry.when.strftime("%H:%M:%S"),
            OUTCOME_TEXT.get(entry.result.outcome, str(entry.result.outcome)),
            f"{metrics.duration_ms:.1f} ms" if metrics else "—",
        )
        self.blockSignals(True)
        self.insertRow(0)
        for column, text in enumerate(cells):
            self.setItem(0, column, QTableWidgetItem(text))
        while self.rowCount() > self._limit:
            self.removeRow(self.rowCount() - 1)
        self.blockSignals(False)

    def entries(self) -> list[HistoryEntry]:
        return list(self._entries)

    def select_row(self, row: int) -> None:
        self.selectRow(row)

    def _on_selection(self) -> None:
        rows = self.selectionModel().selectedRows()
        if rows and rows[0].row() < len(self._entries):
            self.entry_selected.emit(self._entries[rows[0].row()])
