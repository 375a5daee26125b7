"""The main window: builds every widget, and is the one place where they are wired together."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, QUrl
from PySide6.QtGui import QCloseEvent, QDesktopServices
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFrame,
    QInputDialog,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.events.catalog import Catalog, shipped_catalog
from app.events.old_trash import move_old_trash
from app.events.store import EventStore, EventStoreError
from app.events.triggers import trigger_template
from app.history import entry_to_json, history_file, load_history, save_history
from app.project.loader import ProjectLoadError, load_project
from app.project.model import Project
from app.python_checks import Problem, check_python
from app.recovery import BackupStore
from app.settings import Settings
from widgets.code_editor import CompletionRequest
from widgets.editor_tabs import CANCEL, SAVE, EditorTabs
from widgets.elided_label import ElidedLabel
from widgets.event_editor import EventEditor
from widgets.find_bar import FindBar
from widgets.history_view import HistoryEntry, HistoryView
from widgets.invoker import BackendFactory, Invoker
from widgets.jobs import JobBridge
from widgets.local_cloud_dock import install as install_local_cloud
from widgets.log_panel import LogPanel
from widgets.project_tree import ProjectTree
from widgets.result_view import OUTCOME_TEXT, ResultView
from widgets.run_toolbar import RunToolbar
from widgets.stack_lint import TemplateLint
from widgets.start_page import StartPage
from widgets.status_bar import StatusBar
from widgets.themes import style_sheet, theme_named
from widgets.window_actions import MenuActionsMixin
from widgets.window_aws import AwsMixin
from widgets.window_debugging import DebuggingMixin
from widgets.window_layout import (
    apply_default_layout,
    events_by_function,
    fit_to_screen,
    function_for_file,
    restore_layout,
    runtime_errors_by_file,
    save_layout,
)
from widgets.window_menus import WindowMenus, build_menus

BACKUP_INTERVAL_MS = 30_000
HISTORY_SAVE_DELAY_MS = 1_000
PRESTART_DELAY_MS = 250  # a selection that rests this long is pre-started (not every row passed over)


def _move_old_trash(root: Path) -> str:
    """Moves a project's old in-project trash to the per-user one (once); what to add to the status."""
    moved = move_old_trash(root)
    note = f" — moved {_count(moved.moved, 'deleted event')} to your trash" if moved.moved else ""
    if moved.failed:
        note += f" — could not move {len(moved.failed)} from .lambda-studio/trash: {moved.failed[0]}"
    return note


def _count(n: int, noun: str) -> str:
    """'1 function', '2 functions', '0 problems'."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


class MainWindow(MenuActionsMixin, DebuggingMixin, AwsMixin, QMainWindow):
    """Owns the open Project; widgets talk to each other only through the connections made here."""

    def __init__(
        self,
        settings: Settings,
        *,
        jobs: JobBridge | None = None,
        backend_factory: BackendFactory | None = None,
        catalog: Catalog | None = None,
        engine_probe: object = None,
        prestart: bool = False,
    ) -> None:
        """`prestart`: warm the selected function's runtime in the background (the app turns it on;
        tests and embedders opt in)."""
        super().__init__()
        self.prestart_enabled = prestart
        self.setWindowTitle("Lambda Studio")
        self.setDockOptions(
            QMainWindow.DockOption.AnimatedDocks
            | QMainWindow.DockOption.AllowTabbedDocks
            | QMainWindow.DockOption.AllowNestedDocks
        )
        self.resize(1400, 880)
        self._fit_to_screen()
        self.settings = settings
        self.project: Project | None = None
        self.jobs = jobs or JobBridge(self)
        self.backups = BackupStore(settings.backup_dir)
        theme = theme_named(settings.get("theme"))
        font = int(settings.get("font_size") or 11)
        self._catalog = catalog
        # --- widgets ---
        self.tree = ProjectTree()
        self.tabs = EditorTabs(theme=theme, font_size=font)
        self.tabs.completion_provider = self._complete_async
        self.tabs.check_provider = self._check_async
        self.template_lint = TemplateLint(self.tabs, self.jobs, self)
        self.find_bar = FindBar(self.tabs.current_editor)
        self.find_bar.hide()
        self.event_editor = EventEditor(catalog=self.catalog, theme=theme)
        self.event_editor.suggest_template = lambda fid: trigger_template(
            self.project.function(fid) if self.project else None
        )
        self.log_panel = LogPanel(theme=theme)
        self.result_view = ResultView(theme=theme)
        self.history = HistoryView()
        self.toolbar = RunToolbar(self)
        self.toolbar.set_backend(settings.get("backend"))
        self.status = StatusBar(self.jobs, engine_probe, self.invoker_warm_count)
        self.prestart_label = ElidedLabel("", min_chars=4)
        self.prestart_label.setMaximumWidth(240)
        self._prestart_timer = QTimer(self, singleShot=True, interval=PRESTART_DELAY_MS)
        self._prestart_timer.timeout.connect(self.prestart_now)
        self.invoker = Invoker(
            self.jobs,
            self,
            backend_factory=backend_factory,
            region=self._region,
            backend_options=self._backend_options,
        )
        self.menus: WindowMenus = build_menus(
            self.menuBar(),
            self,
            self,
            {"invoke": self.toolbar.invoke_action, "stop": self.toolbar.stop_action},
        )
        self.recent_menu = self.menus.recent
        self._layout_widgets()
        self._wire()
        self._build_debugger()
        self._build_aws()
        self._build_local_api()
        self.local_cloud = install_local_cloud(self)  # issue 15: the "Local cloud" toggle and dock
        for name, dock in self.docks.items():  # a panel docked without add_dock: listed in View ▸ Panels too
            if f"panel:{name}" not in self.menus.actions:
                self.menus.add_panel(name, dock)
                self._dock_homes.setdefault(name, (self.dockWidgetArea(dock), None))
        self.apply_theme()
        self._history_save_timer = QTimer(self, singleShot=True, interval=HISTORY_SAVE_DELAY_MS)
        self._history_save_timer.timeout.connect(self._save_history)
        self._backup_timer = QTimer(self, interval=BACKUP_INTERVAL_MS)
        self._backup_timer.timeout.connect(self.backup_now)
        self._backup_timer.start()
        self.ask_recover = self._ask_recover
        restore_layout(self, self.settings.get("window") or {})
        self._fit_to_screen()  # a layout saved on a bigger screen must not put the window off this one
        if self.event_place == "beside":
            self.docks["eventDock"].hide()  # its editor is beside the code; a saved state may show the dock

    def _complete_async(self, request: CompletionRequest) -> None:
        """jedi on the job bridge: its first call parses stubs for seconds and must not freeze typing."""
        from app.python_checks import complete

        job = self.jobs.submit(
            lambda sink, cancel: complete(request.text, request.line, request.column, request.path),
            "complete",
        )
        job.finished.connect(request.deliver)

    def _check_async(self, text: str, path: str, deliver: Callable[[list[Problem]], None]) -> None:
        self.jobs.submit(lambda sink, cancel: check_python(text, path), "lint").finished.connect(deliver)

    def catalog(self) -> Catalog | None:
        """The event template catalog, loaded the first time a template is picked."""
        if self._catalog is None:
            try:
                self._catalog = shipped_catalog()
            except Exception as exc:  # a broken catalog must not break the window; events still work
                self.show_message(f"Event templates unavailable: {exc}")
        return self._catalog

    def invoker_warm_count(self) -> int:
        return self.invoker.warm_count() if hasattr(self, "invoker") else 0

    def _backend_options(self) -> dict[str, object]:
        """Blocks (reads credentials): called on the worker thread when a backend is created."""
        images = self.settings.get("images") or {}
        options: dict[str, object] = {"images": images} if images else {}
        if self.settings.get("pythons"):
            options["pythons"] = dict(self.settings.get("pythons"))
        if self.settings.get("local_credentials"):
            from app.invoke import profile_credentials

            options["credentials"] = profile_credentials(self.settings.get("aws_profile") or "default")
        return options

    def _region(self) -> str | None:
        return self.settings.get("aws_region") or None

    # --- layout -----------------------------------------------------------------------------------
    def _layout_widgets(self) -> None:
        self.addToolBar(self.toolbar)
        self.setStatusBar(self.status)
        editor_area = QWidget()
        editor_layout = QVBoxLayout(editor_area)
        editor_layout.setContentsMargins(0, 0, 0, 0)
        self.start_page = StartPage()
        self.editor_stack = QStackedWidget()  # the start page while no file is open, else the tabs
        self.editor_stack.addWidget(self.start_page)
        self.editor_stack.addWidget(self.tabs)
        editor_layout.addWidget(self.editor_stack, 1)
        editor_layout.addWidget(self.find_bar)
        self.bottom = QSplitter(Qt.Orientation.Horizontal)
        self.bottom.addWidget(self.log_panel)
        self.bottom.addWidget(self.result_view)
        self.bottom.setSizes([700, 500])
        # The event editor can sit beside the code (a real editor's room) or in its dock; see set_event_place.
        self.event_holder = QWidget()
        QVBoxLayout(self.event_holder).setContentsMargins(0, 0, 0, 0)
        self.code_split = QSplitter(Qt.Orientation.Horizontal)
        self.code_split.addWidget(editor_area)
        self.code_split.addWidget(self.event_holder)
        self.code_split.setStretchFactor(0, 3)
        self.code_split.setStretchFactor(1, 2)
        self.vertical = QSplitter(Qt.Orientation.Vertical)
        self.vertical.addWidget(self.code_split)
        self.vertical.addWidget(self.bottom)
        self.vertical.setSizes([520, 320])
        self.setCentralWidget(self.vertical)
        self.docks: dict[str, QDockWidget] = {}
        self._dock_homes: dict[str, tuple[Qt.DockWidgetArea, str | None]] = {}
        self.add_dock("projectDock", "Project", self.tree, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.add_dock("eventDock", "Event", self.event_editor, Qt.DockWidgetArea.RightDockWidgetArea)
        self.add_dock("historyDock", "History", self.history, Qt.DockWidgetArea.RightDockWidgetArea)
        self.tree.setMinimumWidth(120)
        self._default_layout_pending = True
        self.event_place = "dock"
        self.set_event_place(str(self.settings.get("event_editor_place") or "beside"))

    def set_event_place(self, place: str) -> None:
        """'beside': the event editor shares the editor area with the code; 'dock': in the Event panel.

        Remembered per user (setting `event_editor_place`); View ▸ Event Editor Beside the Code.
        """
        place = "dock" if place == "dock" else "beside"
        dock = self.docks["eventDock"]
        scroll = dock.widget()
        assert isinstance(scroll, QScrollArea)
        if place == "beside" and self.event_place != "beside":
            widget = scroll.takeWidget()
            layout = self.event_holder.layout()
            assert layout is not None
            layout.addWidget(widget)
            widget.show()
            self.event_holder.show()
            dock.hide()
            dock.toggleViewAction().setEnabled(False)
        elif place == "dock" and self.event_place != "dock":
            layout = self.event_holder.layout()
            assert layout is not None
            layout.removeWidget(self.event_editor)
            scroll.setWidget(self.event_editor)
            self.event_holder.hide()
            dock.toggleViewAction().setEnabled(True)
            dock.show()
        self.event_place = place
        self.menus.actions["event_beside"].setChecked(place == "beside")
        self.settings.set("event_editor_place", place)

    def add_dock(
        self,
        name: str,
        title: str,
        widget: QWidget,
        area: Qt.DockWidgetArea = Qt.DockWidgetArea.RightDockWidgetArea,
        *,
        tab_with: str | None = None,
    ) -> QDockWidget:
        """A panel: docked in `area` (or tabbed with the dock named `tab_with`), listed in View ▸ Panels.

        The widget sits in a frameless scroll area, so a panel can shrink below its own minimum: no
        panel can make the window wider than the screen.
        """
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        holder = QScrollArea()
        holder.setObjectName(f"{name}Scroll")
        holder.setFrameShape(QFrame.Shape.NoFrame)
        holder.setWidgetResizable(True)
        holder.setWidget(widget)
        dock.setWidget(holder)
        self.docks[name] = dock
        self._dock_homes[name] = (area, tab_with)
        self.addDockWidget(area, dock)
        if tab_with is not None and tab_with in self.docks:
            self.tabifyDockWidget(self.docks[tab_with], dock)
        self.menus.add_panel(name, dock)
        return dock

    def _fit_to_screen(self) -> None:
        screen = self.screen() or QApplication.primaryScreen()
        if screen is not None:
            fit_to_screen(self, screen.availableGeometry())

    # --- wiring: every connection between widgets lives here --------------------------------------
    def _wire(self) -> None:
        t, tb, ee = self.tree, self.toolbar, self.event_editor
        t.function_selected.connect(self._select_function)
        t.event_selected.connect(self._select_event)
        t.open_file_requested.connect(self.open_file)
        t.invoke_requested.connect(lambda fid, ev: self.invoke(fid, ev, tb.backend()))
        t.invoke_with_event_requested.connect(self._invoke_with_event)
        t.debug_requested.connect(self._debug_from_tree)
        t.deploy_requested.connect(self._deploy_from_tree)
        t.new_event_requested.connect(self._new_event)
        t.reveal_requested.connect(self._reveal)
        tb.function_changed.connect(self._select_function)
        tb.event_changed.connect(lambda name: ee.select_event(name) if name else None)
        tb.invoke_requested.connect(self.invoke)
        tb.stop_requested.connect(self.invoker.stop)
        tb.backend_changed.connect(lambda b: self.settings.set("backend", b))
        ee.events_changed.connect(self._on_events_changed)
        ee.current_event_changed.connect(lambda fid, name: tb.select_event(name))
        ee.message.connect(self.show_message)
        ee.dirty_changed.connect(
            lambda dirty: self.docks["eventDock"].setWindowTitle("Event ●" if dirty else "Event")
        )
        self.tabs.message.connect(self.show_message)
        self.tabs.file_saved.connect(self._on_file_saved)
        self.tabs.cursor_moved.connect(self.status.show_cursor)
        self.tabs.current_file_changed.connect(self._follow_tab)
        self.tabs.currentChanged.connect(lambda _i: self._show_start_page_if_empty())
        sp = self.start_page
        sp.open_folder_requested.connect(self.choose_folder)
        sp.new_project_requested.connect(self.new_project_dialog)
        sp.open_project_requested.connect(self.open_project)
        self._show_start_page_if_empty()
        self.log_panel.message.connect(self.show_message)
        self.result_view.open_file_requested.connect(self.open_file)
        self.history.entry_selected.connect(self._show_history_entry)
        self.history.rerun_requested.connect(
            lambda e: self.invoke(e.function_id, e.event_name, self.toolbar.backend())
        )
        self.history.open_event_requested.connect(lambda e: self._select_event(e.function_id, e.event_name))
        inv = self.invoker
        inv.started.connect(self.result_view.show_running)
        inv.started.connect(lambda _fid, _event: self.status.clearMessage())
        inv.log_lines.connect(self.log_panel.append_log_lines)
        inv.finished.connect(self._on_invoke_finished)
        inv.failed.connect(self._on_invoke_failed)
        inv.running_changed.connect(lambda running: tb.set_running(running, "invoking…"))
        inv.prestart_state.connect(self._on_prestart_state)
        t.function_selected.connect(lambda _fid: self.schedule_prestart())
        tb.function_changed.connect(lambda _fid: self.schedule_prestart())
        tb.backend_changed.connect(lambda _b: self.schedule_prestart())
        inv.progress.connect(
            lambda text, fraction: tb.set_progress(text, fraction if fraction >= 0 else None)
        )
        self.settings.on_changed(self._on_setting_changed)

    def show_message(self, text: str) -> None:
        self.status.showMessage(text.replace("\n", " — "), 10_000)  # a failure's hint is on its own line

    # --- projects ---------------------------------------------------------------------------------
    def open_project(self, path: str | Path) -> bool:
        if self.project is not None and not self.close_project():
            return False
        try:
            project = load_project(path)
        except ProjectLoadError as exc:
            self.show_message(f"Cannot open {path}: {exc}")
            QMessageBox.warning(self, "Open project", f"{exc}\n\nPick a folder holding template.yaml.")
            return False
        self.project = project
        trash_note = _move_old_trash(project.root)
        store = EventStore(project.root)
        events = events_by_function(project, store)
        self.tree.set_project(project, events)
        self.event_editor.set_store(store)
        self.invoker.set_project(project)
        self.local_api.set_project(project)
        self.toolbar.set_functions([(f.logical_id, f.logical_id) for f in project.functions])
        self.template_lint.set_project(project)  # project diagnostics + cfn-lint (widgets/stack_lint.py)
        self.settings.add_recent_project(project.root)
        self.setWindowTitle(f"{project.root.name} — Lambda Studio")
        self._restore_project_state()
        self._load_history()
        self._offer_recovery()
        self.schedule_prestart()
        problems = len(project.all_diagnostics)
        self.show_message(
            f"Opened {project.root} — {_count(len(project.functions), 'function')}, {_count(problems, 'problem')}"
            + trash_note
        )
        return True

    def reload_project(self) -> bool:
        """Re-read the template (after it was saved): tree, pickers and diagnostics follow; tabs stay."""
        if self.project is None:
            return False
        try:
            project = load_project(self.project.root)
        except ProjectLoadError as exc:
            self.show_message(f"Cannot reload the project: {exc}")
            return False
        self.project = project
        self.tree.set_project(project, events_by_function(project, EventStore(project.root)))
        self.invoker.update_project(project)
        self.local_api.update_project(project)
        self.toolbar.set_functions([(f.logical_id, f.logical_id) for f in project.functions])
        self.template_lint.set_project(project)  # project diagnostics + cfn-lint (widgets/stack_lint.py)
        self.show_message(
            f"Reloaded the project: {_count(len(project.functions), 'function')}, "
            f"{_count(len(project.all_diagnostics), 'problem')}"
        )
        return True

    def _on_file_saved(self, path: str) -> None:
        project = self.project
        if project is None:
            return
        watched = {str(t.resolve()) for t in project.templates} | {str(project.root / "samconfig.toml")}
        if path in watched:
            self.reload_project()

    def close_project(self) -> bool:
        """Asks about unsaved edits; False when the user cancels."""
        if self.project is None:
            return True
        if not self._confirm_event_edits():
            return False
        state = self._project_state()
        if not self.tabs.close_all(ask=True):
            return False
        self.settings.set_project_state(self.project.root, state)
        if self._history_save_timer.isActive():
            self._history_save_timer.stop()
            self._save_history(now=True)
        self.backups.clear(self.project.root)
        self.invoker.set_project(None)
        self.local_api.set_project(None)
        self.local_cloud.stop()  # issue 15: the local cloud runs the closed project's application
        self.tree.set_project(None)
        self.event_editor.set_store(None)
        self.toolbar.set_functions([])
        self.toolbar.set_events([])
        self.log_panel.clear()  # nothing of this project's runs stays on screen for the next one
        self.history.set_entries([])
        self.tabs.set_runtime_errors({})
        self.result_view.clear()
        self.status.clearMessage()
        self.status.refresh_warm()
        self.prestart_label.setText("")
        self.project = None
        self.setWindowTitle("Lambda Studio")
        return True

    def _confirm_event_edits(self) -> bool:
        ee = self.event_editor
        if not ee.is_dirty() or not ee.current_event():
            return True
        answer = self.tabs.ask_unsaved([f"event {ee.function_id()}/{ee.current_event()}"])
        return answer != CANCEL and (answer != SAVE or ee.save())

    def _project_state(self) -> dict[str, object]:
        return {
            "open_tabs": self.tabs.open_paths(),
            "current_tab": self.tabs.current_path(),
            "breakpoints": self.tabs.breakpoints(),
            "function": self.toolbar.current_function(),
            "event": self.toolbar.current_event(),
        }

    def _restore_project_state(self) -> None:
        assert self.project is not None
        state = self.settings.project_state(self.project.root)
        self.tabs.set_breakpoints({p: list(v) for p, v in (state.get("breakpoints") or {}).items()})
        for path in state.get("open_tabs") or []:
            if Path(path).is_file():
                self.tabs.open_file(path)
        if state.get("current_tab") and Path(state["current_tab"]).is_file():
            self.tabs.open_file(state["current_tab"])
        function = state.get("function") or (
            self.project.functions[0].logical_id if self.project.functions else ""
        )
        if function:
            self._select_function(function)
            if state.get("event"):
                self._select_event(function, state["event"])

    def _offer_recovery(self) -> None:
        assert self.project is not None
        buffers = self.backups.load(self.project.root)
        if buffers and self.ask_recover(sorted(buffers)):
            events_dir = (self.project.root / "events").resolve()
            for path, text in buffers.items():
                target = Path(path).resolve()
                rel = target.relative_to(events_dir).parts if target.is_relative_to(events_dir) else ()
                # a saved event goes back into the Event editor, not into a code tab
                is_event = len(rel) == 2 and target.suffix == ".json"
                if is_event and self.event_editor.load_unsaved(rel[0], target.stem, text):
                    self._select_function(rel[0])
                    continue
                self.tabs.restore_buffer(path, text)
            self.show_message(f"Recovered {len(buffers)} unsaved file(s)")
        self.backups.clear(self.project.root)

    def _ask_recover(self, paths: list[str]) -> bool:
        names = "\n".join(paths)
        answer = QMessageBox.question(
            self,
            "Recover unsaved changes",
            f"Lambda Studio closed with unsaved edits in:\n\n{names}\n\nRestore them?",
        )
        return answer == QMessageBox.StandardButton.Yes

    def backup_now(self) -> None:
        if self.project is not None:
            buffers = self.tabs.unsaved_buffers()
            event = self.event_editor.unsaved_buffer()
            if event is not None:
                buffers.setdefault(*event)  # an open tab of the same file already holds its text
            self.backups.save(self.project.root, buffers)

    # --- selection sync ---------------------------------------------------------------------------
    def _select_function(self, function_id: str) -> None:
        if not function_id:
            return
        if not self.event_editor.set_function(function_id):  # the user went back to an unsaved event
            kept = self.event_editor.function_id()
            if kept:
                self.toolbar.select_function(kept)
            return
        self.toolbar.select_function(function_id)
        self.toolbar.set_events(self.event_editor.event_names(), self.event_editor.current_event())
        if self.tree.currentItem() is None:
            self.tree.select_function(function_id)

    def _select_event(self, function_id: str, name: str) -> None:
        self._select_function(function_id)
        self.event_editor.select_event(name)
        self.toolbar.select_event(name)

    def _on_events_changed(self, function_id: str, names: list[str]) -> None:
        self.tree.set_events(function_id, names)
        if function_id == self.toolbar.current_function():
            self.toolbar.set_events(names, self.event_editor.current_event())

    def _deploy_from_tree(self, function_id: str) -> None:
        self._select_function(function_id)
        self.deploy_dialog()

    def _show_start_page_if_empty(self) -> None:
        empty = self.tabs.count() == 0
        if empty:
            self.start_page.set_recent(self.settings.recent_projects())
        self.editor_stack.setCurrentWidget(self.start_page if empty else self.tabs)

    def _follow_tab(self, path: str) -> None:
        """The run toolbar's function follows the code on screen: F5 runs the tab being read."""
        function_id = function_for_file(self.project, path) if self.project and path else None
        if function_id and function_id != self.toolbar.current_function():
            self._select_function(function_id)

    # --- pre-start: the selected function's runtime is warm before the first click -----------------
    def schedule_prestart(self) -> None:
        if self.prestart_enabled and self.project is not None and self.settings.get("prestart") is not False:
            self._prestart_timer.start()

    def prestart_now(self) -> bool:
        """Warm the selected function with the selected backend (in the background; see Invoker.prestart)."""
        function_id = self.toolbar.current_function()
        if self.project is None or not function_id or self.invoker.is_running():
            return False
        return self.invoker.prestart(function_id, self.toolbar.backend()) is not None

    def _on_prestart_state(self, function_id: str, state: str) -> None:
        if state == "warming":
            self.prestart_label.setText(f"Warming {function_id}…")
        elif state == "ready":
            self.prestart_label.setText(f"{function_id}: warm")
            self.status.refresh_warm()
        else:
            self.prestart_label.setText(f"{function_id}: not pre-started")
            self.prestart_label.setToolTip(state)

    # --- invoking ---------------------------------------------------------------------------------
    def _event_bytes(self, function_id: str, event_name: str) -> bytes | None:
        """The event to invoke with (the editor's unsaved text when it shows it); None after a message."""
        ee = self.event_editor
        if event_name and ee.function_id() == function_id and ee.current_event() == event_name:
            if not ee.is_valid():
                ee.say("Not invoked: the event is not valid JSON; fix the underlined spot first")
                return None
            return ee.event_bytes()
        if event_name:
            try:
                return (
                    EventStore(self.project.root).load_bytes(function_id, event_name)
                    if self.project
                    else b"{}"
                )
            except EventStoreError as exc:
                self.show_message(str(exc))
                return None
        return b"{}"

    def invoke(self, function_id: str, event_name: str, backend: str) -> bool:
        event = self._event_bytes(function_id, event_name)
        if event is None:
            return False
        self._save_before_run()
        self.log_panel.clear()
        return self.invoker.invoke(function_id, event_name, event, backend) is not None

    def _save_before_run(self) -> None:
        """The runner reads files from disk: save what the user sees — but never a JSON file that is not JSON."""
        for path in self.tabs.dirty_paths():
            editor = self.tabs.editor_for(path)
            if path.endswith(".json") and editor is not None:
                try:
                    json.loads(editor.text() or "null")
                except ValueError:
                    self.show_message(f"Not saved before running: {Path(path).name} is not valid JSON")
                    continue
            self.tabs.save(path)

    def _invoke_with_event(self, function_id: str) -> None:
        self._select_function(function_id)
        names = self.event_editor.event_names() or [""]
        name, ok = QInputDialog.getItem(self, "Invoke with event", "Event:", names, 0, False)
        if ok:
            self.invoke(function_id, name, self.toolbar.backend())

    def _on_invoke_finished(self, entry: HistoryEntry) -> None:
        self.result_view.show_result(entry.result)
        self.tabs.set_runtime_errors(runtime_errors_by_file(entry.result))
        self.history.add_entry(entry)
        self._history_save_timer.start()  # written a moment later, off the click → result path
        self.status.refresh_warm()
        # replaces whatever the status bar said before (an old error, "Paused at …" of a debug run)
        metrics = entry.result.metrics
        took = f" in {metrics.duration_ms:.0f} ms" if metrics else ""
        outcome = OUTCOME_TEXT.get(entry.result.outcome, str(entry.result.outcome))
        note = entry.result.note or ""
        said = f" — {note}" if note.startswith("Ran on Python") else ""  # the one note worth a glance
        self.show_message(f"{entry.function_id}: {outcome}{took}{said}")

    def _on_invoke_failed(self, message: str) -> None:
        self.result_view.show_failure(message)
        self.show_message(message)

    def _history_path(self) -> Path | None:
        return history_file(self.settings.folder, self.project.root) if self.project else None

    def _load_history(self) -> None:
        path = self._history_path()
        loaded = load_history(path) if path else []
        self.history.set_entries([HistoryEntry(f, e, r, when, lines) for f, e, when, r, lines in loaded])

    def _save_history(self, *, now: bool = False) -> None:
        """Kept across restarts, written on the pool (`now`: here, as the project closes); a failure to
        write costs a message, never the window."""
        path = self._history_path()
        if path is None:
            return
        entries = [
            entry_to_json(e.function_id, e.event_name, e.when, e.result, e.log_lines)
            for e in self.history.entries()
        ]
        if now:
            try:
                save_history(path, entries)
            except OSError as exc:
                self.show_message(f"Could not keep the history: {exc}")
            return
        job = self.jobs.submit(lambda sink, cancel: save_history(path, entries), "save-history")
        job.failed.connect(lambda message: self.show_message(f"Could not keep the history: {message}"))

    def _show_history_entry(self, entry: HistoryEntry) -> None:
        self.result_view.show_result(entry.result)
        self.log_panel.set_lines(entry.log_lines)

    # --- small actions ----------------------------------------------------------------------------
    def open_file(self, path: str, line: int = 1) -> None:
        self.tabs.open_file(path, line or None)

    def _new_event(self, function_id: str) -> None:
        self._select_function(function_id)
        self.event_editor.new_event()

    def _reveal(self, path: str) -> None:
        target = Path(path)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(target if target.is_dir() else target.parent)))

    # --- settings, theme, layout ------------------------------------------------------------------
    def _on_setting_changed(self, key: str) -> None:
        if key == "theme":
            self.apply_theme()
        elif key == "backend":
            self.toolbar.set_backend(str(self.settings.get("backend")))
        elif key == "font_size":
            self.tabs.set_font_size(int(self.settings.get("font_size") or 11))
        elif (
            key in ("images", "pythons", "aws_region", "aws_profile", "local_credentials")
            and not self.invoker.is_running()
        ):
            self.invoker.close_backends()  # the next invoke starts with the new configuration
        if key in ("aws_region", "aws_profile", "aws_endpoint_url"):
            self._refresh_aws_soon.start()  # once for a dialog that changed all three

    def apply_theme(self) -> None:
        theme = theme_named(self.settings.get("theme"))
        for widget in (self.tabs, self.log_panel, self.result_view, self.event_editor):
            widget.set_theme(theme)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.setStyleSheet(style_sheet(theme))

    # --- Local API (issue 14): its own panel, beside History; the panel runs its server job -------------
    def _build_local_api(self) -> None:
        from widgets.local_api_dock import LocalApiDock

        def backend() -> object:  # worker thread: the invokes' warm backend for the toolbar's choice
            return self.invoker.shared_backend(str(self.settings.get("backend") or "auto"))

        self.local_api = LocalApiDock(self.jobs, backend, owns_backend=False)
        self.add_dock(
            "localApiDock",
            "Local API",
            self.local_api,
            Qt.DockWidgetArea.RightDockWidgetArea,
            tab_with="historyDock",
        )
        self.docks["historyDock"].raise_()
        self.local_api.open_file_requested.connect(self.open_file)
        self.local_api.events_changed.connect(self._on_events_changed)
        self.local_api.message.connect(self.show_message)
        self.local_api.log_lines.connect(self.log_panel.append_log_lines)

    def showEvent(self, event: object) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)  # type: ignore[arg-type]
        if self._default_layout_pending:
            self._default_layout_pending = False
            if not (self.settings.get("window") or {}).get("state"):
                apply_default_layout(self)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        if not self.close_project():
            event.ignore()
            return
        self.settings.set("window", save_layout(self))
        self._backup_timer.stop()
        self.status.stop()
        self.invoker.close_backends()
        self.debug.shutdown()
        self.jobs.shutdown(5_000)
        event.accept()
