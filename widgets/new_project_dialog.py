"""The "New project" dialog: pick a blueprint, name the project, choose where it goes."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QWidget,
)

from app.blueprints import BlueprintError, create_project, list_blueprints, project_name_problem


class NewProjectDialog(QDialog):
    """On accept the project exists on disk and `created_path` points at it."""

    def __init__(self, parent: QWidget | None = None, *, location: str | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New project")
        self.resize(620, 420)
        self.created_path: Path | None = None
        self.list = QListWidget()
        self.description = QLabel(wordWrap=True)
        self.name_edit = QLineEdit(placeholderText="my-service")
        self.location_edit = QLineEdit(location or str(Path.home()))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        self.problem = QLabel()
        self.problem.setStyleSheet("color: #d1242f")
        try:
            blueprints = list_blueprints()
        except BlueprintError as exc:
            blueprints = []
            self.problem.setText(str(exc))
        for bp in blueprints:
            item = QListWidgetItem(bp.title)
            item.setData(256, bp.id)
            item.setToolTip(bp.description)
            self.list.addItem(item)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.make_project)
        self.buttons.rejected.connect(self.reject)
        where = QHBoxLayout()
        where.addWidget(self.location_edit, 1)
        where.addWidget(browse)
        form = QFormLayout(self)
        form.addRow("Blueprint", self.list)
        form.addRow("", self.description)
        form.addRow("Project name", self.name_edit)
        form.addRow("Create in", where)
        form.addRow(self.problem)
        form.addRow(self.buttons)
        self.list.currentItemChanged.connect(
            lambda item, _prev: self.description.setText(item.toolTip() if item else "")
        )
        self.name_edit.textChanged.connect(self._validate)
        if self.list.count():
            self.list.setCurrentRow(0)
        self._validate()

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Create the project in", self.location_edit.text())
        if folder:
            self.location_edit.setText(folder)

    def _validate(self) -> bool:
        problem = project_name_problem(self.name_edit.text().strip())
        self.problem.setText(problem or "")
        ok = problem is None and self.list.currentItem() is not None
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)
        return ok

    def make_project(self) -> bool:
        if not self._validate():
            return False
        name = self.name_edit.text().strip()
        dest = Path(self.location_edit.text()).expanduser() / name
        try:
            self.created_path = create_project(self.list.currentItem().data(256), dest, name)
        except BlueprintError as exc:
            self.problem.setText(str(exc))
            return False
        self.accept()
        return True
