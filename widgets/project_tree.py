"""The project tree: templates → functions (runtime icon, diagnostics badge) → code files and saved events."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QPoint, QRect, Qt, Signal
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QMenu, QTreeWidget, QTreeWidgetItem, QWidget

from app.project.model import FunctionSpec, Project, Severity
from app.python_checks import find_def_line

ROLE = Qt.ItemDataRole.UserRole
SKIP_DIRS = {"__pycache__", ".aws-sam", ".git", ".venv", "node_modules", ".lambda-studio", ".pytest_cache"}
MAX_FILES = 200


def runtime_icon(runtime: str | None) -> QIcon:
    """A small badge: 'Py' and the minor version on a colour per runtime family."""
    runtime = runtime or "?"
    colour, text = "#8c959f", "?"
    if runtime.startswith("python3."):
        colour, text = "#3572a5", runtime.removeprefix("python3.")
    elif runtime.startswith("nodejs"):
        colour, text = "#3c873a", "JS"
    elif runtime.startswith(("java", "dotnet", "ruby", "go", "provided")):
        colour, text = "#b07219", runtime[:2].upper()
    pixmap = QPixmap(20, 20)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(QColor(colour))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawRoundedRect(QRect(0, 0, 20, 20), 4, 4)
    painter.setPen(QColor("white"))
    font = QFont()
    font.setPixelSize(10)
    font.setBold(True)
    painter.setFont(font)
    painter.drawText(QRect(0, 0, 20, 20), Qt.AlignmentFlag.AlignCenter, text)
    painter.end()
    return QIcon(pixmap)


def code_files(folder: Path | None) -> list[Path]:
    if folder is None or not folder.is_dir():
        return []
    found: list[Path] = []
    for path in sorted(folder.rglob("*")):
        if any(part in SKIP_DIRS or part.startswith(".") for part in path.relative_to(folder).parts):
            continue
        if path.is_file() and path.suffix in (
            ".py",
            ".txt",
            ".json",
            ".yaml",
            ".yml",
            ".md",
            ".toml",
            ".cfg",
        ):
            found.append(path)
            if len(found) >= MAX_FILES:
                break
    return found


def handler_location(spec: FunctionSpec) -> tuple[str, int] | None:
    """(file, line of the handler's def) — line 1 when the def is not found."""
    path = spec.handler_file
    parts = spec.handler_module_and_function
    if path is None or parts is None:
        return None
    try:
        line = find_def_line(path.read_text(encoding="utf-8", errors="replace"), parts[1]) or 1
    except OSError:
        line = 1
    return str(path), line


def _role(item: QTreeWidgetItem) -> tuple[str | None, Any]:
    data = item.data(0, ROLE)
    return (data[0], data[1]) if isinstance(data, tuple) else (None, None)


class ProjectTree(QTreeWidget):
    """Shows one Project; every user action leaves as an intent signal."""

    function_selected = Signal(str)
    event_selected = Signal(str, str)
    open_file_requested = Signal(str, int)
    invoke_requested = Signal(str, str)
    invoke_with_event_requested = Signal(str)
    debug_requested = Signal(str, str)  # function id, event name
    deploy_requested = Signal(str)
    new_event_requested = Signal(str)
    reveal_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setHeaderHidden(True)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._context_menu)
        self.itemActivated.connect(self._on_activated)
        self.itemDoubleClicked.connect(self._on_activated)
        self.currentItemChanged.connect(self._on_current)
        self._project: Project | None = None
        self._function_items: dict[str, QTreeWidgetItem] = {}
        self._event_parents: dict[str, QTreeWidgetItem] = {}

    # --- content ----------------------------------------------------------------------------------
    def set_project(self, project: Project | None, events: dict[str, list[str]] | None = None) -> None:
        self.clear()
        self._function_items = {}
        self._event_parents = {}
        self._project = project
        if project is None:
            return
        events = events or {}
        templates: dict[str, QTreeWidgetItem] = {}
        for template in project.templates or []:
            templates[str(template)] = self._template_item(template, project)
        for spec in project.functions:
            key = str(spec.template_path) if spec.template_path else ""
            parent = templates.get(key)
            if parent is None:
                parent = templates[key] = self._template_item(spec.template_path, project)
            self._add_function(parent, spec, events.get(spec.logical_id, []))
        for problem in project.diagnostics:
            if problem.file and str(problem.file) in templates:
                item = templates[str(problem.file)]
            elif problem.code == "template-unusable" and problem.file:
                # A template name that is a folder or a link loop: shown, never opened in the editor.
                item = templates[str(problem.file)] = QTreeWidgetItem(self, [f"{problem.file.name}  ⚠"])
                item.setData(0, ROLE, ("problem", str(problem.file)))
            else:
                continue
            item.setToolTip(0, (item.toolTip(0) + "\n" + str(problem)).strip())
            item.setForeground(0, QColor("#d1242f" if problem.severity is Severity.ERROR else "#bf8700"))
        self.expandToDepth(2)

    def _template_item(self, template: Path | None, project: Project) -> QTreeWidgetItem:
        name = str(template.relative_to(project.root)) if template else f"{project.root.name} (no template)"
        item = QTreeWidgetItem(self, [name])
        item.setData(0, ROLE, ("template", str(template) if template else ""))
        item.setToolTip(0, str(template or project.root))
        return item

    def _add_function(self, parent: QTreeWidgetItem, spec: FunctionSpec, events: list[str]) -> None:
        label = spec.logical_id
        if spec.diagnostics:
            errors = sum(1 for d in spec.diagnostics if d.severity is Severity.ERROR)
            label += f"  ⚠ {len(spec.diagnostics)}"
            colour = "#d1242f" if errors else "#bf8700"
        item = QTreeWidgetItem(parent, [label])
        item.setIcon(0, runtime_icon(spec.runtime))
        item.setData(0, ROLE, ("function", spec.logical_id))
        tip = [f"{spec.logical_id} — {spec.runtime or 'no runtime'} — {spec.handler or 'no handler'}"]
        tip += [str(d) for d in spec.diagnostics]
        item.setToolTip(0, "\n".join(tip))
        if spec.diagnostics:
            item.setForeground(0, QColor(colour))
        self._function_items[spec.logical_id] = item
        for path in code_files(spec.code_dir):
            child = QTreeWidgetItem(
                item, [str(path.relative_to(spec.code_dir)) if spec.code_dir else path.name]
            )
            child.setData(0, ROLE, ("file", str(path)))
            child.setToolTip(0, str(path))
        folder = QTreeWidgetItem(item, ["Events"])
        folder.setData(0, ROLE, ("events", spec.logical_id))
        self._event_parents[spec.logical_id] = folder
        self.set_events(spec.logical_id, events)

    def set_events(self, function_id: str, names: list[str]) -> None:
        folder = self._event_parents.get(function_id)
        if folder is None:
            return
        folder.takeChildren()
        for name in names:
            child = QTreeWidgetItem(folder, [name])
            child.setData(0, ROLE, ("event", (function_id, name)))
        folder.setText(0, f"Events ({len(names)})")

    # --- queries and selection --------------------------------------------------------------------
    def function_ids(self) -> list[str]:
        return list(self._function_items)

    def function_item(self, function_id: str) -> QTreeWidgetItem | None:
        return self._function_items.get(function_id)

    def select_function(self, function_id: str) -> None:
        item = self._function_items.get(function_id)
        if item is not None:
            self.setCurrentItem(item)

    def event_names(self, function_id: str) -> list[str]:
        folder = self._event_parents.get(function_id)
        if folder is None:
            return []
        return [child.text(0) for i in range(folder.childCount()) if (child := folder.child(i)) is not None]

    def _function_of(self, item: QTreeWidgetItem | None) -> str | None:
        while item is not None:
            kind, value = _role(item)
            if kind == "function":
                return str(value)
            item = item.parent()
        return None

    # --- reactions --------------------------------------------------------------------------------
    def _on_current(self, item: QTreeWidgetItem | None, _previous: QTreeWidgetItem | None) -> None:
        if item is None:
            return
        kind, value = _role(item)
        function_id = self._function_of(item)
        if kind == "event":
            self.event_selected.emit(str(value[0]), str(value[1]))
        elif function_id:
            self.function_selected.emit(function_id)

    def _on_activated(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        kind, value = _role(item)
        if kind == "file" or kind == "template" and value:
            self.open_file_requested.emit(value, 1)
        elif kind == "function":
            self.open_handler(str(value))

    def open_handler(self, function_id: str) -> None:
        spec = self._project.function(function_id) if self._project else None
        location = handler_location(spec) if spec else None
        if location:
            self.open_file_requested.emit(*location)

    def _context_menu(self, point: QPoint) -> None:
        item = self.itemAt(point)
        if item is None:
            return
        menu = self.build_menu(item)
        if menu is not None:
            menu.exec(self.viewport().mapToGlobal(point))

    def build_menu(self, item: QTreeWidgetItem) -> QMenu | None:
        kind, value = _role(item)
        function_id = self._function_of(item)
        menu = QMenu(self)
        if function_id:
            event = value[1] if kind == "event" else ""
            menu.addAction("Invoke", lambda: self.invoke_requested.emit(function_id, event))
            menu.addAction("Debug", lambda: self.debug_requested.emit(function_id, event))
            menu.addAction("Invoke with event…", lambda: self.invoke_with_event_requested.emit(function_id))
            menu.addAction("Deploy…", lambda: self.deploy_requested.emit(function_id))
            menu.addAction("New event", lambda: self.new_event_requested.emit(function_id))
            menu.addAction("Open handler", lambda: self.open_handler(function_id))
        path = self._path_of(item)
        if path:
            menu.addSeparator()
            menu.addAction("Reveal in file manager", lambda: self.reveal_requested.emit(path))
        return menu if menu.actions() else None

    def _path_of(self, item: QTreeWidgetItem) -> str | None:
        kind, value = _role(item)
        if kind in ("file", "template") and value:
            return str(value)
        function_id = self._function_of(item)
        spec = self._project.function(function_id) if self._project and function_id else None
        if spec and spec.code_dir:
            return str(spec.code_dir)
        return str(self._project.root) if self._project else None
