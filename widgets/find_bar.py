"""The find-and-replace bar under the editor tabs: text, regex and case options, next/previous/replace."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QToolButton, QWidget

from widgets.code_editor import CodeEditor


class FindBar(QWidget):
    """Searches whatever editor `target()` returns; never holds on to an editor itself."""

    closed = Signal()

    def __init__(self, target: Callable[[], CodeEditor | None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._target = target
        self.find_edit = QLineEdit(placeholderText="Find")
        self.replace_edit = QLineEdit(placeholderText="Replace with")
        self.regex_box = QCheckBox("Regex")
        self.case_box = QCheckBox("Match case")
        self.status = QLabel()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.addWidget(self.find_edit, 2)
        for text, slot in (("Previous", self.find_previous), ("Next", self.find_next)):
            button = QPushButton(text)
            button.clicked.connect(slot)
            layout.addWidget(button)
        layout.addWidget(self.replace_edit, 2)
        for label, action in (("Replace", self.replace_one), ("Replace all", self.replace_all)):
            button = QPushButton(label)
            button.clicked.connect(action)
            layout.addWidget(button)
        layout.addWidget(self.regex_box)
        layout.addWidget(self.case_box)
        layout.addWidget(self.status)
        close = _tool_button("✕", True)
        close.clicked.connect(self.hide_bar)
        layout.addWidget(close)
        self.find_edit.returnPressed.connect(self.find_next)
        self.replace_edit.returnPressed.connect(self.replace_one)
        escape = QShortcut(QKeySequence("Escape"), self)
        escape.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        escape.activated.connect(self.hide_bar)

    def show_bar(self, replace: bool = False) -> None:
        editor = self._target()
        if editor is not None and editor.selected_text() and "\n" not in editor.selected_text():
            self.find_edit.setText(editor.selected_text())
        self.show()
        (self.replace_edit if replace and self.find_edit.text() else self.find_edit).setFocus()
        self.find_edit.selectAll()

    def hide_bar(self) -> None:
        self.hide()
        self.closed.emit()

    def _options(self) -> dict[str, bool]:
        return {"regex": self.regex_box.isChecked(), "case": self.case_box.isChecked()}

    def find_next(self) -> bool:
        return self._find(backwards=False)

    def find_previous(self) -> bool:
        return self._find(backwards=True)

    def _find(self, backwards: bool) -> bool:
        editor = self._target()
        if editor is None:
            return False
        found = editor.find(self.find_edit.text(), backwards=backwards, **self._options())
        self.status.setText("" if found else "No matches")
        return found

    def replace_one(self) -> bool:
        editor = self._target()
        if editor is None:
            return False
        return editor.replace(self.find_edit.text(), self.replace_edit.text(), **self._options())

    def replace_all(self) -> int:
        editor = self._target()
        if editor is None:
            return 0
        count = editor.replace_all(self.find_edit.text(), self.replace_edit.text(), **self._options())
        self.status.setText(f"{count} replaced")
        return count


def _tool_button(text: str, auto_raise: bool = False) -> QToolButton:
    button = QToolButton()
    button.setText(text)
    button.setAutoRaise(auto_raise)
    return button
