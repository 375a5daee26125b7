"""The main window: builds every widget, and is the one place where they are wired together."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QPoint, Qt, QTimer, QUrl
from PySide6.QtGui import QCloseEvent, QDesktopServices
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QInputDialog,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.events.catalog import Catalog, shipped_catalog
from app.events.store import EventStore, EventStoreError
from app.project.loader import ProjectLoadError, load_project
from app.project.model import Project
from app.python_checks import Problem, check_python
from app.recovery import BackupStore
from app.settings import Settings
from widgets.code_editor import CompletionRequest
from widgets.debug_workbench import DebugWorkbench
from widgets.editor_tabs import CANCEL, SAVE, EditorTabs
from widgets.event_editor import EventEditor
from widgets.find_bar import FindBar
from widgets.history_view import HistoryEntry, HistoryView
from widgets.invoker import BackendFactory, Invoker
from widgets.jobs import JobBridge
from widgets.log_panel import LogPanel
from widgets.project_tree import ProjectTree
from widgets.result_view import ResultView
from widgets.run_toolbar import RunToolbar
from widgets.stack_lint import TemplateLint
from widgets.status_bar import StatusBar
from widgets.themes import style_sheet, theme_named
from widgets.window_layout import (
    apply_default_layout,
    build_menus,
    events_by_function,
    restore_layout,
    save_layout,
)

BACKUP_INTERVAL_MS = 30_000


class MainWindow(QMainWindow):
    """Owns the open Project; widgets talk to each other only through the connections made here."""

    def __init__(
        self,
        settings: Settings,
        *,
        jobs: JobBridge | None = None,
        backend_factory: BackendFactory | None = None,
        catalog: Catalog | None = None,
        engine_probe: object = None,
    ) -> None:
        super().__init__()
        self.setWindowTitle("Lambda Studio")
        self.resize(1400, 880)
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
        self.log_panel = LogPanel(theme=theme)
        self.result_view = ResultView(theme=theme)
        self.history = HistoryView()
        self.toolbar = RunToolbar(self)
        self.toolbar.set_backend(settings.get("backend"))
        self.status = StatusBar(self.jobs, engine_probe, self.invoker_warm_count)
        self.invoker = Invoker(
            self.jobs,
            self,
            backend_factory=backend_factory,
            region=self._region,
            backend_options=self._backend_options,
        )
        self._layout_widgets()
        self.recent_menu = build_menus(self)
        self._wire()
        self._build_debugger()
        self._build_aws()
        self._build_local_api()
        self.apply_theme()
        self._backup_timer = QTimer(self, interval=BACKUP_INTERVAL_MS)
        self._backup_timer.timeout.connect(self.backup_now)
        self._backup_timer.start()
        self.ask_recover = self._ask_recover
        restore_layout(self, self.settings.get("window") or {})

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
        editor_layout.addWidget(self.tabs, 1)
        editor_layout.addWidget(self.find_bar)
        self.bottom = QSplitter(Qt.Orientation.Horizontal)
        self.bottom.addWidget(self.log_panel)
        self.bottom.addWidget(self.result_view)
        self.bottom.setSizes([700, 500])
        self.vertical = QSplitter(Qt.Orientation.Vertical)
        self.vertical.addWidget(editor_area)
        self.vertical.addWidget(self.bottom)
        self.vertical.setSizes([520, 320])
        self.setCentralWidget(self.vertical)
        self.docks: dict[str, QDockWidget] = {}
        for title, widget, area, name in (
            ("Project", self.tree, Qt.DockWidgetArea.LeftDockWidgetArea, "projectDock"),
            ("Event", self.event_editor, Qt.DockWidgetArea.RightDockWidgetArea, "eventDock"),
            ("History", self.history, Qt.DockWidgetArea.RightDockWidgetArea, "historyDock"),
        ):
            dock = QDockWidget(title, self)
            dock.setObjectName(name)
            self.docks[name] = dock
            dock.setWidget(widget)
            self.addDockWidget(area, dock)
        self.tree.setMinimumWidth(200)
        self._default_layout_pending = True

    # --- wiring: every connection between widgets lives here --------------------------------------
    def _wire(self) -> None:
        t, tb, ee = self.tree, self.toolbar, self.event_editor
        t.function_selected.connect(self._select_function)
        t.event_selected.connect(self._select_event)
        t.open_file_requested.connect(self.open_file)
        t.invoke_requested.connect(lambda fid, ev: self.invoke(fid, ev, tb.backend()))
        t.invoke_with_event_requested.connect(self._invoke_with_event)
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
        self.tabs.message.connect(self.show_message)
        self.tabs.file_saved.connect(self._on_file_saved)
        self.tabs.cursor_moved.connect(self.status.show_cursor)
        self.log_panel.message.connect(self.show_message)
        self.result_view.open_file_requested.connect(self.open_file)
        self.history.entry_selected.connect(self._show_history_entry)
        inv = self.invoker
        inv.started.connect(self.result_view.show_running)
        inv.log_lines.connect(self.log_panel.append_log_lines)
        inv.finished.connect(self._on_invoke_finished)
        inv.failed.connect(self._on_invoke_failed)
        inv.running_changed.connect(lambda running: tb.set_running(running, "invoking…"))
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
        self._offer_recovery()
        problems = len(project.all_diagnostics)
        self.show_message(f"Opened {project.root} — {len(project.functions)} functions, {problems} problems")
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
            f"Reloaded the project: {len(project.functions)} functions, {len(project.all_diagnostics)} problems"
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
        self.backups.clear(self.project.root)
        self.invoker.set_project(None)
        self.local_api.set_project(None)
        self.tree.set_project(None)
        self.event_editor.set_store(None)
        self.toolbar.set_functions([])
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
            for path, text in buffers.items():
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
        self.toolbar.select_function(function_id)
        self.event_editor.set_function(function_id)
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

    # --- invoking ---------------------------------------------------------------------------------
    def _event_bytes(self, function_id: str, event_name: str) -> bytes | None:
        """The event to invoke with (the editor's unsaved text when it shows it); None after a message."""
        ee = self.event_editor
        if event_name and ee.function_id() == function_id and ee.current_event() == event_name:
            if not ee.is_valid():
                self.show_message("The event is not valid JSON; fix the underlined spot first")
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
        self.tabs.save_all()  # the runner reads files from disk: run what the user sees
        self.log_panel.clear()
        return self.invoker.invoke(function_id, event_name, event, backend) is not None

    def _invoke_with_event(self, function_id: str) -> None:
        self._select_function(function_id)
        names = self.event_editor.event_names() or [""]
        name, ok = QInputDialog.getItem(self, "Invoke with event", "Event:", names, 0, False)
        if ok:
            self.invoke(function_id, name, self.toolbar.backend())

    def _on_invoke_finished(self, entry: HistoryEntry) -> None:
        self.result_view.show_result(entry.result)
        self.history.add_entry(entry)
        self.status.refresh_warm()

    def _on_invoke_failed(self, message: str) -> None:
        self.result_view.show_failure(message)
        self.show_message(message)

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

    def toggle_breakpoint(self) -> None:
        editor = self.tabs.current_editor()
        if editor is not None:
            editor.toggle_breakpoint()

    def go_to_line_dialog(self) -> None:
        editor = self.tabs.current_editor()
        if editor is not None:
            line, ok = QInputDialog.getInt(
                self, "Go to line", "Line:", editor.cursor_position()[0], 1, editor.line_count()
            )
            if ok:
                editor.go_to_line(line)

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open project folder")
        if folder:
            self.open_project(folder)

    def fill_recent_menu(self, menu: QMenu) -> None:
        menu.clear()
        for path in self.settings.recent_projects():
            action = menu.addAction(path)
            action.triggered.connect(lambda _checked=False, p=path: self.open_project(p))
        if not menu.actions():
            menu.addAction("(none yet)").setEnabled(False)

    def new_project_dialog(self) -> None:
        from widgets.new_project_dialog import NewProjectDialog

        dialog = NewProjectDialog(self)
        if dialog.exec() and dialog.created_path:
            self.open_project(dialog.created_path)

    def open_settings(self) -> None:
        from widgets.settings_dialog import SettingsDialog

        SettingsDialog(self.settings, self).exec()

    # --- settings, theme, layout ------------------------------------------------------------------
    def _on_setting_changed(self, key: str) -> None:
        if key == "theme":
            self.apply_theme()
        elif key == "backend":
            self.toolbar.set_backend(str(self.settings.get("backend")))
        elif key == "font_size":
            self.tabs.set_font_size(int(self.settings.get("font_size") or 11))
        elif (
            key in ("images", "aws_region", "aws_profile", "local_credentials")
            and not self.invoker.is_running()
        ):
            self.invoker.close_backends()  # the next invoke starts with the new configuration

    def apply_theme(self) -> None:
        theme = theme_named(self.settings.get("theme"))
        for widget in (self.tabs, self.log_panel, self.result_view, self.event_editor):
            widget.set_theme(theme)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.setStyleSheet(style_sheet(theme))

    # --- debugging: the workbench owns the debugger's widgets; the window docks and links them ------
    def _build_debugger(self) -> None:
        wb = self.debug = DebugWorkbench(
            self.jobs,
            self,
            breakpoints=self.tabs.breakpoints,
            invoke_action=self.toolbar.invoke_action,
            backend_options=self._backend_options,
            region=self._region,
            project=lambda: self.project,
        )
        self.addToolBar(wb.toolbar)
        previous: QDockWidget | None = None
        for title, widget, name in (
            ("Call Stack", wb.call_stack, "callStackDock"),
            ("Variables", wb.variables, "variablesDock"),
            ("Watch / Console", wb.console, "debugConsoleDock"),
        ):
            dock = QDockWidget(title, self)
            dock.setObjectName(name)
            dock.setWidget(widget)
            self.docks[name] = dock
            if previous is None:
                self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
            else:
                self.splitDockWidget(previous, dock, Qt.Orientation.Horizontal)
            dock.hide()  # shown by the first debug invoke
            previous = dock
        run_menu = next((a.menu() for a in self.menuBar().actions() if a.text() == "&Run"), None)
        if isinstance(
            run_menu, QMenu
        ):  # the debug actions there too: their keys work with the toolbar hidden
            run_menu.addSeparator()
            run_menu.addActions(wb.toolbar.actions())
        d = wb.debugger
        wb.toolbar.debug_action.triggered.connect(self.debug_invoke)
        self.toolbar.stop_requested.connect(
            d.stop
        )  # the run toolbar's Stop (Shift+F5) ends a debug invoke too
        wb.message.connect(self.show_message)
        wb.execution_line.connect(self._show_execution_line)
        d.running_changed.connect(lambda running: self.toolbar.set_running(running, "debugging…"))
        d.started.connect(self.result_view.show_running)
        d.log_lines.connect(self.log_panel.append_log_lines)
        d.finished.connect(self._on_invoke_finished)
        d.failed.connect(self._on_invoke_failed)
        self.tabs.breakpoints_changed.connect(wb.breakpoints_changed)
        self.tabs.breakpoint_menu_requested.connect(self._breakpoint_menu)

    # --- Local API (issue 14): its own dock, tabbed with the Event dock; the dock runs its server job ----
    def _build_local_api(self) -> None:
        from widgets.local_api_dock import LocalApiDock

        def backend() -> object:  # worker thread: the invokes' warm backend for the toolbar's choice
            return self.invoker.shared_backend(str(self.settings.get("backend") or "auto"))

        self.local_api = LocalApiDock(self.jobs, backend, owns_backend=False)
        dock = self.docks["localApiDock"] = QDockWidget("Local API", self)
        dock.setObjectName("localApiDock")
        dock.setWidget(self.local_api)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        self.tabifyDockWidget(self.docks["eventDock"], dock)
        self.docks["eventDock"].raise_()
        self.local_api.open_file_requested.connect(self.open_file)
        self.local_api.events_changed.connect(self._on_events_changed)
        self.local_api.message.connect(self.show_message)
        self.local_api.log_lines.connect(self.log_panel.append_log_lines)

    # --- AWS: the workbench owns the explorer and the deploy dialog; the window docks and links them ----
    def _build_aws(self) -> None:
        from widgets.aws_workbench import AwsWorkbench

        aws = self.aws = AwsWorkbench(self.settings, self.jobs, self)
        dock = self.docks["awsDock"] = QDockWidget("AWS", self)
        dock.setObjectName("awsDock")
        dock.setWidget(aws.explorer)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
        self.tabifyDockWidget(self.docks["projectDock"], dock)
        self.docks["projectDock"].raise_()
        # listed the first time the dock is shown: no AWS call at start-up
        dock.visibilityChanged.connect(
            lambda shown: shown and not aws.explorer.functions and aws.explorer.refresh()
        )
        self.toolbar.addSeparator()
        self.toolbar.addActions([aws.remote_invoke_action, aws.deploy_action])
        run_menu = next((a.menu() for a in self.menuBar().actions() if a.text() == "&Run"), None)
        if isinstance(run_menu, QMenu):
            run_menu.addSeparator()
            run_menu.addActions([aws.remote_invoke_action, aws.deploy_action])
        self.status.addPermanentWidget(aws.status_label)
        ex = aws.explorer
        aws.deploy_requested.connect(self.deploy_dialog)
        aws.remote_invoke_requested.connect(
            lambda: self.invoke_remote(self.toolbar.current_function(), self.toolbar.current_event())
        )
        ex.invoke_requested.connect(self._invoke_deployed)
        ex.logs_started.connect(lambda _name: self.log_panel.clear())
        ex.log_lines.connect(self.log_panel.append_log_lines)
        ex.open_project_requested.connect(self.open_project)
        aws.invoke_started.connect(self.result_view.show_running)
        aws.log_lines.connect(self.log_panel.append_log_lines)
        aws.invoke_finished.connect(self._on_invoke_finished)
        aws.invoke_failed.connect(self._on_invoke_failed)
        aws.message.connect(self.show_message)

    def deploy_dialog(self) -> object:
        """Deploy… (Ctrl+Shift+D): the selected function, saved first so the package holds what is shown."""
        spec = self.project.function(self.toolbar.current_function()) if self.project else None
        if spec is None:
            self.show_message("Open a project and pick a function to deploy")
            return None
        self.tabs.save_all()
        return self.aws.open_deploy_dialog(spec)

    def invoke_remote(self, function_id: str, event_name: str) -> bool:
        """The deployed function (its FunctionName) with the selected event; answer in the result view."""
        spec = self.project.function(function_id) if self.project and function_id else None
        event = self._event_bytes(function_id, event_name) if spec else None
        if spec is None or event is None:
            if spec is None:
                self.show_message("Open a project and pick a function to invoke remotely")
            return False
        self.log_panel.clear()
        return self.aws.invoke_remote(function_id, spec.function_name, event_name, event) is not None

    def _invoke_deployed(self, name: str) -> None:
        """The explorer's Invoke: the event editor's text as it is."""
        if not self.event_editor.is_valid():
            self.show_message("The event is not valid JSON; fix the underlined spot first")
            return
        self.log_panel.clear()
        self.aws.invoke_remote(
            name, name, self.event_editor.current_event() or "", self.event_editor.event_bytes()
        )

    def _breakpoint_menu(self, path: str, line: int, pos: QPoint) -> None:
        editor = self.tabs.editor_for(path)
        if editor is None:
            return

        def set_marker(on: bool) -> None:
            if (line in editor.breakpoints()) != on:
                editor.toggle_breakpoint(line)

        self.breakpoint_menu = self.debug.breakpoint_menu(
            path, line, line in editor.breakpoints(), set_marker
        )
        self.breakpoint_menu.popup(pos)  # not exec(): no nested event loop

    def debug_invoke(self) -> bool:
        """Ctrl+F5: the selected function and event under the debugger, stopping at the editor's breakpoints."""
        function_id, event_name = self.toolbar.current_function(), self.toolbar.current_event()
        if self.invoker.is_running():
            self.show_message("An invocation is running; stop it first (Shift+F5)")
            return False
        event = self._event_bytes(function_id, event_name) if function_id else None
        if event is None:
            return False
        self.tabs.save_all()
        self.log_panel.clear()
        docks = [self.docks[name] for name in ("callStackDock", "variablesDock", "debugConsoleDock")]
        if not any(dock.isVisible() for dock in docks):  # first shown: the variables get the most room
            for dock in docks:
                dock.show()
            width = self.width()
            self.resizeDocks(
                docks, [width * 3 // 10, width * 4 // 10, width * 3 // 10], Qt.Orientation.Horizontal
            )
        return self.debug.start(function_id, event_name, event, self.toolbar.backend())

    def _show_execution_line(self, path: str, line: int) -> None:
        """The debugger stopped at path:line (open it, mark the line), or resumed ("": clear the marks)."""
        for open_path in self.tabs.open_paths():
            editor = self.tabs.editor_for(open_path)
            if editor is not None:
                editor.show_execution_line(None)
        if path and Path(path).is_file():
            editor = self.tabs.open_file(path, line)
            if editor is not None:
                editor.show_execution_line(line)
                self.activateWindow()

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
