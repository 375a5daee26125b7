"""The event editor: a function's saved events, a JSON editor validating as you type, templates, format."""

from __future__ import annotations

import json
from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QInputDialog,
    QLabel,
    QListWidget,
    QMessageBox,
    QSplitter,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.events.catalog import Catalog
from app.events.store import EventExistsError, EventStore, EventStoreError, TrashedEvent
from widgets.code_editor import CodeEditor
from widgets.editor_tabs import CANCEL, SAVE, ask_save_discard_cancel
from widgets.themes import LIGHT, Theme

PickResult = tuple[str, str] | None  # (event name, JSON text)


class EventEditor(QWidget):
    """Edits the saved events of one function at a time; the store and catalog are handed in."""

    events_changed = Signal(str, list)  # function id, event names
    dirty_changed = Signal(bool)  # the shown event has unsaved edits (or no longer has)
    current_event_changed = Signal(str, str)  # function id, event name ('' when none)
    message = Signal(str)

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        catalog: Catalog | Callable[[], Catalog | None] | None = None,
        theme: Theme = LIGHT,
    ) -> None:
        super().__init__(parent)
        self._store: EventStore | None = None
        self._catalog = catalog
        self._function: str | None = None
        self._current: str | None = None
        self.list = QListWidget()
        self.editor = CodeEditor(language="json", theme=theme)
        self.status = QLabel()
        self.status.setWordWrap(True)
        buttons = QToolBar()  # what does not fit a narrow panel goes into its » menu
        buttons.setObjectName("eventButtons")
        self.buttons: dict[str, QToolButton] = {}
        for text, slot in (
            ("New…", self.new_event),
            ("Save", self.save),
            ("Rename…", self.rename),
            ("Delete", self.delete),
            ("Format", self.format_json),
            ("Restore…", self.restore_deleted),
        ):
            button = _tool_button(text)
            button.clicked.connect(slot)
            buttons.addWidget(button)
            self.buttons[text] = button
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        self.title = QLabel("Saved events")
        left_layout.addWidget(self.title)
        left_layout.addWidget(self.list)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.editor, 1)
        right_layout.addWidget(self.status)
        splitter = QSplitter(Qt.Orientation.Vertical)  # a tall, narrow dock: the list above the JSON
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([110, 400])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter, 1)
        layout.addWidget(buttons)
        self.list.currentTextChanged.connect(self._on_list_choice)
        self.editor.diagnostics_changed.connect(self._show_validation)
        self.editor.dirty_changed.connect(self._on_dirty)
        # Prompts are attributes so tests (and the main window) can answer them.
        self.ask_name: Callable[[str, str], str | None] = self._ask_name
        self.confirm: Callable[[str], bool] = self._confirm
        self.ask_unsaved: Callable[[str], str] = self._ask_unsaved  # SAVE, DISCARD or CANCEL
        self.suggest_template: Callable[[str], tuple[str, str] | None] = lambda function_id: None
        self.pick_trashed: Callable[[list[TrashedEvent]], TrashedEvent | None] = self._pick_trashed
        self.pick_template: Callable[[], PickResult] = self._pick_template
        self._update_enabled()

    # --- wiring in --------------------------------------------------------------------------------
    def set_store(self, store: EventStore | None) -> None:
        self._store = store
        self._function = None
        self._current = None
        self.title.setText("Saved events")
        self.list.clear()
        self.editor.set_text("")
        self._update_enabled()

    def set_theme(self, theme: Theme) -> None:
        self.editor.set_theme(theme)

    def set_function(self, function_id: str | None) -> bool:
        """Show another function's events; False when the user keeps editing an unsaved event."""
        if function_id == self._function:
            return True
        if not self._settle_unsaved():
            return False
        self._function = function_id
        self._current = None
        self.editor.mark_saved()
        self._update_title()
        self.refresh()
        return True

    def _settle_unsaved(self) -> bool:
        """Before leaving the shown event: Save, Discard or Cancel its unsaved edits (False: stay)."""
        if not (self._current and self.editor.is_dirty()):
            return True
        answer = self.ask_unsaved(self._current)
        if answer == CANCEL:
            return False
        return answer != SAVE or self.save()

    def _update_title(self) -> None:
        fn = self._function
        text = f"Events of {fn}" if fn else "Saved events"
        if fn and self._current:
            text += f" — {self._current}" + (" ●" if self.editor.is_dirty() else "")
        self.title.setText(text)
        self.title.setToolTip("● unsaved changes (Ctrl+S saves)" if self.editor.is_dirty() else "")

    def _on_dirty(self, dirty: bool) -> None:
        self._update_title()
        self.dirty_changed.emit(dirty)

    def function_id(self) -> str | None:
        return self._function

    def refresh(self) -> None:
        names = self.event_names()
        keep = self._current
        self.list.blockSignals(True)
        self.list.clear()
        self.list.addItems(names)
        self.list.blockSignals(False)
        if keep in names:
            self._select_row(keep)
        elif names:
            self.select_event(names[0])
        else:
            self._current = None
            self.editor.set_text("")
        self._update_enabled()
        if self._function:
            self.events_changed.emit(self._function, names)

    def event_names(self) -> list[str]:
        if self._store is None or self._function is None:
            return []
        try:
            return [e.name for e in self._store.list_events(self._function)]
        except EventStoreError as exc:
            self.say(str(exc))
            return []

    # --- the current event ------------------------------------------------------------------------
    def current_event(self) -> str | None:
        return self._current

    def select_event(self, name: str) -> bool:
        if self._store is None or self._function is None:
            return False
        if name != self._current and not self._settle_unsaved():
            self._select_row(self._current or "")
            return False
        try:
            text = self._store.load_bytes(self._function, name).decode("utf-8", "replace")
        except EventStoreError as exc:
            self.say(str(exc))
            return False
        self._current = name
        self.editor.set_text(text)
        self._select_row(name)
        self._update_enabled()
        self._update_title()
        self.current_event_changed.emit(self._function, name)
        return True

    def _select_row(self, name: str) -> None:
        items = self.list.findItems(name, Qt.MatchFlag.MatchExactly)
        if items:
            self.list.blockSignals(True)
            self.list.setCurrentItem(items[0])
            self.list.blockSignals(False)

    def _on_list_choice(self, name: str) -> None:
        if name:
            self.select_event(name)

    def text(self) -> str:
        return self.editor.text()

    def is_valid(self) -> bool:
        self.editor.run_checks()
        return not any(p.severity == "error" for p in self.editor.diagnostics())

    def event_bytes(self) -> bytes:
        """What to invoke with: the editor's text, saved or not."""
        return (self.text().strip() or "{}").encode("utf-8")

    def is_dirty(self) -> bool:
        return self.editor.is_dirty()

    def unsaved_buffer(self) -> tuple[str, str] | None:
        """(file path, text) of the saved event being edited, when the editor holds unsaved changes."""
        if self._store is None or self._function is None or not self._current or not self.is_dirty():
            return None
        return str(self._store.path_for(self._function, self._current)), self.text()

    # --- actions ----------------------------------------------------------------------------------
    def save(self) -> bool:
        if self._store is None or self._function is None:
            return False
        name = self._current or self.ask_name("Save event as", "event")
        if not name:
            return False
        if not self.is_valid():
            self.say("The event is not valid JSON; fix the underlined spot before saving")
            return False
        try:
            self._store.save(self._function, name, self.text())
        except EventStoreError as exc:
            self.say(str(exc))
            return False
        self.editor.mark_saved()
        self._current = name
        self.refresh()
        self.say(f"Saved event {name}")
        return True

    def new_event(self) -> bool:
        if self._store is None or self._function is None:
            return False
        picked = self.pick_template()
        if not picked:
            return False
        name, text = picked
        try:
            self._store.save(self._function, name, text, overwrite=False)
        except EventStoreError as exc:
            self.say(str(exc))
            return False
        self.refresh()
        return self.select_event(name)

    def rename(self) -> bool:
        if self._store is None or self._function is None or not self._current:
            return False
        new = self.ask_name("Rename event", self._current)
        if not new or new == self._current:
            return False
        try:
            self._store.rename(self._function, self._current, new)
        except EventStoreError as exc:
            self.say(str(exc))
            return False
        self._current = new
        self.refresh()
        return True

    def delete(self) -> bool:
        if self._store is None or self._function is None or not self._current:
            return False
        if not self.confirm(f"Delete the event {self._current!r}? (Restore… brings it back.)"):
            return False
        try:
            self._store.delete(self._function, self._current)
        except EventStoreError as exc:
            self.say(str(exc))
            return False
        self._current = None
        self.editor.mark_saved()
        self.refresh()
        return True

    def format_json(self) -> bool:
        try:
            data = json.loads(self.text() or "{}")
        except ValueError:
            self.say("Cannot format: the event is not valid JSON yet")
            return False
        formatted = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
        if formatted != self.text():
            self.editor.replace_all_text(formatted)
        return True

    # --- feedback ---------------------------------------------------------------------------------
    def say(self, text: str) -> None:
        """A message about the event: shown here, under the JSON where the user is looking, and sent on."""
        good = text.startswith(("Saved event", "Restored event"))
        self._set_status(text, "color: #1a7f37" if good else "color: #d1242f")
        self.status.setToolTip(text)
        self.message.emit(text)

    def _show_validation(self) -> None:
        errors = [p for p in self.editor.diagnostics() if p.severity == "error"]
        if errors:
            first = errors[0]
            self._set_status(f"Line {first.line}, column {first.column}: {first.message}", "color: #d1242f")
        elif self._current is not None or self.text().strip():
            self._set_status("Valid JSON", "color: #1a7f37")
        else:
            self._set_status("Pick or create an event.", "")

    def _set_status(self, text: str, style: str) -> None:
        """Changes the status line only when it changes: a new style sheet re-polishes the label and
        relayouts the panel, which every Invoke click (it re-checks the event) would otherwise pay."""
        if self.status.text() != text:
            self.status.setText(text)
        if self.status.styleSheet() != style:
            self.status.setStyleSheet(style)

    def _update_enabled(self) -> None:
        has_fn = self._store is not None and self._function is not None
        for name, button in self.buttons.items():
            button.setEnabled(
                has_fn and (name in ("New…", "Save", "Format", "Restore…") or self._current is not None)
            )

    def _ask_name(self, title: str, default: str) -> str | None:
        text, ok = QInputDialog.getText(self, title, "Event name:", text=default)
        return text.strip() if ok and text.strip() else None

    def restore_deleted(self) -> bool:
        """Bring back an event deleted earlier (this function's first), from the per-user trash."""
        if self._store is None:
            return False
        try:
            trashed = self._store.list_trash()
        except EventStoreError as exc:
            self.say(str(exc))
            return False
        trashed.sort(key=lambda t: t.function_id != self._function)  # stable: newest first within
        if not trashed:
            self.say("No deleted events to restore")
            return False
        pick = self.pick_trashed(trashed)
        if pick is None:
            return False
        try:
            restored = self._store.restore(pick.trash_id)
        except EventExistsError:
            new = self.ask_name("Restore under another name", f"{pick.name}-restored")
            if not new:
                return False
            try:
                restored = self._store.restore(pick.trash_id, new_name=new)
            except EventStoreError as exc:
                self.say(str(exc))
                return False
        except EventStoreError as exc:
            self.say(str(exc))
            return False
        if restored.function_id != self._function:
            self.set_function(restored.function_id)
        self.refresh()
        self.select_event(restored.name)
        self.say(f"Restored event {restored.name}")
        return True

    def load_unsaved(self, function_id: str, name: str, text: str) -> bool:
        """A recovered unsaved buffer of a saved event: shown here, unsaved, to save or discard."""
        if not self.set_function(function_id) or not self.select_event(name):
            return False
        self.editor.replace_all_text(text)
        return True

    def _ask_unsaved(self, name: str) -> str:
        return ask_save_discard_cancel(self, "Unsaved event", f"The event {name!r} has unsaved changes.")

    def _pick_trashed(self, trashed: list[TrashedEvent]) -> TrashedEvent | None:
        labels = [f"{t.function_id or '(shared)'} / {t.name}   deleted {t.deleted_at[:19]}" for t in trashed]
        label, ok = QInputDialog.getItem(self, "Restore a deleted event", "Event:", labels, 0, False)
        return trashed[labels.index(label)] if ok and label in labels else None

    def _confirm(self, text: str) -> bool:
        answer = QMessageBox.question(self, "Events", text)
        return answer == QMessageBox.StandardButton.Yes

    def _pick_template(self) -> PickResult:
        catalog = self._catalog() if callable(self._catalog) else self._catalog
        if catalog is None:
            name = self.ask_name("New event", "event")
            return (name, "{}\n") if name else None
        from widgets.template_picker import TemplatePicker

        dialog = TemplatePicker(catalog, self, suggested=self.suggest_template(self._function or ""))
        if dialog.exec() != TemplatePicker.DialogCode.Accepted or not dialog.event_name():
            return None
        return dialog.event_name(), dialog.rendered_text()


def _tool_button(text: str, auto_raise: bool = False) -> QToolButton:
    button = QToolButton()
    button.setText(text)
    button.setAutoRaise(auto_raise)
    return button
