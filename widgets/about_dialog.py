"""The About dialog: version, Qt / PySide6 / Scintilla / Lexilla versions, where settings live, and the
licences of the bundled components with their texts (from the bundle's licenses/ or the installed
distributions, see app.about)."""

from __future__ import annotations

import platform
from pathlib import Path

import PySide6
from PySide6.QtCore import Qt, qVersion
from PySide6.QtGui import QFont, QIcon
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app import __version__
from app.about import Component, components, frozen_root, read_texts
from resources import RESOURCES_DIR


def _upstream(binding_version: str) -> str:
    """The binding wheels number themselves <upstream major.minor.patch>.<packaging rev>."""
    return ".".join(binding_version.split(".")[:3])


def library_versions() -> dict[str, str]:
    """Versions of what the window runs on, as the running process sees them."""
    import lexilla
    import pyside6_scintilla

    scintilla = str(getattr(pyside6_scintilla, "__version__", "?"))
    lexer = str(getattr(lexilla, "__version__", "?"))
    return {
        "Lambda Studio": __version__,
        "Qt": qVersion(),
        "PySide6": str(PySide6.__version__),
        "Scintilla": f"{_upstream(scintilla)} (pyside6-scintilla {scintilla})",
        "Lexilla": f"{_upstream(lexer)} (lexilla {lexer})",
        "Python": platform.python_version(),
    }


def data_locations() -> dict[str, str]:
    """Where this copy keeps settings and caches: the same for the bundle and a pip install."""
    from app.settings import config_dir
    from runner.cache import default_cache_dir

    return {"Settings": str(config_dir()), "Cache": str(default_cache_dir())}


class AboutDialog(QDialog):
    """Shows what Lambda Studio is and what it is made of; read-only."""

    def __init__(self, parent: QWidget | None = None, items: list[Component] | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About Lambda Studio")
        self.resize(760, 560)
        self._components = items if items is not None else components()

        header = QHBoxLayout()
        icon = QLabel()
        icon.setPixmap(QIcon(str(RESOURCES_DIR / "icons" / "lambda-studio.svg")).pixmap(64, 64))
        header.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        self._versions = library_versions()
        self._locations = data_locations()
        kind = "bundle" if frozen_root() is not None else "Python installation"
        lines = [f"<b style='font-size:15pt'>Lambda Studio {__version__}</b>"]
        lines.append("Edit, invoke locally, debug and deploy AWS Lambda functions written in Python.")
        lines.append(" · ".join(f"{k} {v}" for k, v in self._versions.items() if k != "Lambda Studio"))
        lines += [f"{k}: <code>{v}</code>" for k, v in self._locations.items()]
        lines.append(f"Running from a {kind}.")
        text = QLabel("<br>".join(lines))
        text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        text.setWordWrap(True)
        header.addWidget(text, 1)

        self._table = QTreeWidget()
        self._table.setHeaderLabels(["Component", "Version", "Licence"])
        self._table.setRootIsDecorated(False)
        for comp in self._components:
            QTreeWidgetItem(self._table, [comp.name, comp.version, comp.license])
        self._table.resizeColumnToContents(0)
        self._text = QPlainTextEdit()
        self._text.setReadOnly(True)
        self._text.setFont(QFont("monospace"))
        self._text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self._table)
        split.addWidget(self._text)
        split.setSizes([220, 300])

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(QLabel("Bundled components and their licences (select one to read it):"))
        layout.addWidget(split, 1)
        layout.addWidget(buttons)

        self._table.currentItemChanged.connect(self._show_selected)
        first = self._table.topLevelItem(0)
        if first is not None:
            self._table.setCurrentItem(first)

    # --- intention-revealing API (used by tests and the main window) -----------------------------
    def versions(self) -> dict[str, str]:
        return dict(self._versions)

    def locations(self) -> dict[str, str]:
        return dict(self._locations)

    def component_names(self) -> list[str]:
        return [c.name for c in self._components]

    def select_component(self, name: str) -> bool:
        for row, comp in enumerate(self._components):
            item = self._table.topLevelItem(row)
            if item is not None and (comp.name == name or comp.name.startswith(name)):
                self._table.setCurrentItem(item)
                return True
        return False

    def licence_text(self) -> str:
        return self._text.toPlainText()

    def _show_selected(self, current: QTreeWidgetItem | None, _previous: QTreeWidgetItem | None) -> None:
        if current is None:
            self._text.clear()
            return
        comp = self._components[self._table.indexOfTopLevelItem(current)]
        self._text.setPlainText(read_texts(comp))
        self._text.moveCursor(self._text.textCursor().MoveOperation.Start)


def licence_files(items: list[Component]) -> list[Path]:
    """Every licence text file the dialog can show (for checks that they all exist)."""
    return [p for c in items for p in c.texts]
