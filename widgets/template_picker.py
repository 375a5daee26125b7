"""Pick an event template: service → type → a form of its parameters, with a live preview."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.events.catalog import Catalog, EventTemplate
from app.events.render import RenderError


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


class TemplatePicker(QDialog):
    """Returns, once accepted, `event_name()` and `rendered_text()`."""

    def __init__(
        self,
        catalog: Catalog,
        parent: QWidget | None = None,
        *,
        default_name: str = "",
        suggested: tuple[str, str] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("New event from a template")
        self.resize(760, 560)
        self._catalog = catalog
        self._fields: dict[str, QLineEdit] = {}
        self.service_combo = QComboBox()
        # in the order the user reads them: by their shown title
        for service in sorted(catalog.services(), key=lambda s: catalog.service_title(s).casefold()):
            self.service_combo.addItem(catalog.service_title(service), service)
        self.type_combo = QComboBox()
        self.name_edit = QLineEdit(default_name, placeholderText="event name, e.g. get-hello")
        self.description = QLabel(wordWrap=True)
        self.form = QFormLayout()
        self.preview = QPlainTextEdit(readOnly=True)
        self.preview.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.error = QLabel()
        self.error.setStyleSheet("color: #d1242f")
        # wrapped (anywhere: a long value has no spaces), so an error never widens the dialog
        self.error.setWordWrap(True)
        self.error.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        pick = QHBoxLayout()
        pick.addWidget(QLabel("Service"))
        pick.addWidget(self.service_combo, 1)
        pick.addWidget(QLabel("Type"))
        pick.addWidget(self.type_combo, 1)
        pick.addWidget(QLabel("Name"))
        pick.addWidget(self.name_edit, 1)
        body = QHBoxLayout()
        left = QVBoxLayout()
        left.addWidget(self.description)
        left.addLayout(self.form)
        left.addStretch(1)
        body.addLayout(left, 1)
        body.addWidget(self.preview, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(pick)
        layout.addLayout(body, 1)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.service_combo.currentIndexChanged.connect(self._on_service)
        self.type_combo.currentIndexChanged.connect(self._on_type)
        self._on_service()
        if suggested is not None and self.service_combo.findData(suggested[0]) >= 0:
            self.select(*suggested)  # the function's own trigger: an HTTP API function gets an HTTP API event

    def template(self) -> EventTemplate | None:
        service, type_ = self.service_combo.currentData(), self.type_combo.currentText()
        if not service or not type_:
            return None
        return self._catalog.get(service, type_)

    def select(self, service: str, type_: str) -> None:
        self.service_combo.setCurrentIndex(max(self.service_combo.findData(service), 0))
        self.type_combo.setCurrentIndex(max(self.type_combo.findText(type_), 0))

    def set_parameter(self, name: str, value: str) -> None:
        self._fields[name].setText(value)

    def _on_service(self) -> None:
        self.type_combo.blockSignals(True)
        self.type_combo.clear()
        self.type_combo.addItems(self._catalog.types(self.service_combo.currentData() or ""))
        self.type_combo.blockSignals(False)
        self._on_type()

    def _on_type(self) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        self._fields = {}
        template = self.template()
        if template is None:
            return
        self.description.setText(f"<b>{template.title}</b><br>{template.description}")
        for param in template.parameters:
            field = QLineEdit(_as_text(param.default))
            field.setToolTip(param.help)
            field.textChanged.connect(self._render)
            self._fields[param.name] = field
            self.form.addRow(param.name, field)
        if not self.name_edit.isModified():
            self.name_edit.setText(f"{template.service}-{template.type}".replace(" ", "-"))
        self._render()

    def overrides(self) -> dict[str, str]:
        return {name: field.text() for name, field in self._fields.items()}

    def _render(self) -> None:
        try:
            self.preview.setPlainText(self.rendered_text())
            self.error.clear()
            ok = True
        except (RenderError, ValueError) as exc:
            self.error.setText(str(exc))
            self.error.setToolTip(str(exc))
            ok = False
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)

    def rendered_text(self) -> str:
        template = self.template()
        return template.render_text(self.overrides()) if template else "{}\n"

    def event_name(self) -> str:
        return self.name_edit.text().strip()
