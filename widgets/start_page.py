"""The start page shown where the code goes when no file is open: recent projects, new project, open folder."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)


class StartPage(QWidget):
    """Emits `open_folder_requested`, `new_project_requested` and `open_project_requested(path)`."""

    open_folder_requested = Signal()
    new_project_requested = Signal()
    open_project_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("startPage")
        title = QLabel("<h2>Lambda Studio</h2>")
        self.hint = QLabel(
            "Open a folder with a SAM template, or pick a handler file from the Project panel."
        )
        self.hint.setWordWrap(True)
        self.open_button = QPushButton("Open Folder…")
        self.new_button = QPushButton("New Project…")
        self.recent = QListWidget()
        self.recent.setObjectName("recentProjects")
        self.recent.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.new_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 16, 24, 16)
        layout.addWidget(title)
        layout.addWidget(self.hint)
        layout.addLayout(buttons)
        layout.addWidget(QLabel("Recent projects"))
        layout.addWidget(self.recent, 1)
        self.open_button.clicked.connect(self.open_folder_requested.emit)
        self.new_button.clicked.connect(self.new_project_requested.emit)
        self.recent.itemActivated.connect(
            lambda item: self.open_project_requested.emit(item.data(Qt.ItemDataRole.UserRole))
        )

    def set_recent(self, paths: list[str]) -> None:
        self.recent.clear()
        for path in paths:
            item = QListWidgetItem(f"{Path(path).name}    {path}")
            item.setData(Qt.ItemDataRole.UserRole, path)
            item.setToolTip(path)
            self.recent.addItem(item)
        if not paths:
            placeholder = QListWidgetItem("(none yet)")
            placeholder.setFlags(Qt.ItemFlag.NoItemFlags)
            self.recent.addItem(placeholder)

    def recent_paths(self) -> list[str]:
        return [
            str(self.recent.item(i).data(Qt.ItemDataRole.UserRole))
            for i in range(self.recent.count())
            if self.recent.item(i).data(Qt.ItemDataRole.UserRole)
        ]
