"""The main window: builds every widget, and is the one place where they are wired together."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, QUrl
from PySide6.QtGui import QCloseEvent, QDesktopServices
from PySide6.QtWidgets import (
    QApplication,
    QMainWindow,
    QScrollArea,
    QWidget,
)

from app.events.catalog import Catalog, shipped_catalog
from app.events.triggers import trigger_template
from app.project.model import Project
from app.python_checks import Problem, check_python
from app.recovery import BackupStore
from app.settings import Settings
from widgets.code_editor import CompletionRequest
from widgets.editor_tabs import EditorTabs
from widgets.elided_label import ElidedLabel
from widgets.event_editor import EventEditor
from widgets.find_bar import FindBar
from widgets.history_view import HistoryView
from widgets.invoker import BackendFactory, Invoker
from widgets.jobs import JobBridge
from widgets.local_cloud_dock import install as install_local_cloud
from widgets.log_panel import LogPanel

if TYPE_CHECKING:
    from widgets.local_api_dock import LocalApiDock
from widgets.main_window_layout import LayoutMixin
from widgets.main_window_projects import ProjectsMixin
from widgets.main_window_runs import HistoryKeeper, RunsMixin
from widgets.project_tree import ProjectTree
from widgets.result_view import ResultView
from widgets.run_toolbar import RunToolbar
from widgets.stack_lint import TemplateLint
from widgets.status_bar import StatusBar
from widgets.themes import style_sheet, theme_named
from widgets.window_actions import MenuActionsMixin
from widgets.window_aws import AwsMixin
from widgets.window_debugging import DebuggingMixin
from widgets.window_layout import (
    apply_default_layout,
    function_for_file,
    restore_layout,
    save_layout,
)
from widgets.window_menus import WindowMenus, build_menus

BACKUP_INTERVAL_MS = 30_000
PRESTART_DELAY_MS = 250  # a selection that rests this long is pre-started (not every row passed over)


class MainWindow(
    ProjectsMixin, RunsMixin, LayoutMixin, MenuActionsMixin, DebuggingMixin, AwsMixin, QMainWindow
):
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
        self.template_lint = TemplateLint(self.tabs, self.jobs, self, start_delay_ms=400)
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
        self.history_keeper = HistoryKeeper(self, self.history)
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

    # --- Local API (issue 14): its own panel, beside History; built when first shown ---------------------
    def _build_local_api(self) -> None:
        """The dock is there at once (View ▸ Panels, the saved layout); its panel, with the HTTP client it
        imports, is made the first time the dock shows or `local_api` is used: not on the start-up path."""
        self._local_api: LocalApiDock | None = None
        dock = self.add_dock(
            "localApiDock",
            "Local API",
            QWidget(),
            Qt.DockWidgetArea.RightDockWidgetArea,
            tab_with="historyDock",
        )
        self.docks["historyDock"].raise_()

        # a tabbed dock stays isVisible() behind another tab; visibilityChanged says which one is shown
        on_top = [False]

        def build_if_shown() -> None:
            if on_top[0]:
                self.local_api  # noqa: B018 - the property makes the panel

        def shown(visible: bool) -> None:  # checked a turn later: laying out the docks shows it in passing
            on_top[0] = visible
            if visible and self._local_api is None:
                QTimer.singleShot(0, self, build_if_shown)

        dock.visibilityChanged.connect(shown)

    @property
    def local_api(self) -> LocalApiDock:
        """The Local API panel, made on first use with the open project."""
        if self._local_api is None:
            from widgets.local_api_dock import LocalApiDock

            def backend() -> object:  # worker thread: the invokes' warm backend for the toolbar's choice
                return self.invoker.shared_backend(str(self.settings.get("backend") or "auto"))

            panel = LocalApiDock(self.jobs, backend, owns_backend=False)
            self._local_api = panel
            holder = self.docks["localApiDock"].widget()
            assert isinstance(holder, QScrollArea)  # add_dock's frame
            holder.setWidget(panel)
            panel.open_file_requested.connect(self.open_file)
            panel.events_changed.connect(self._on_events_changed)
            panel.message.connect(self.show_message)
            panel.log_lines.connect(self.log_panel.append_log_lines)
            panel.set_project(self.project)
            self.give_dock_room("localApiDock")  # its real content is bigger than the placeholder's
        return self._local_api

    def _local_api_project(self, project: Project | None, *, reloaded: bool = False) -> None:
        """Tells the Local API panel about the project, if it exists yet (else it reads it when made)."""
        if self._local_api is None:
            return
        if reloaded and project is not None:
            self._local_api.update_project(project)
        else:
            self._local_api.set_project(project)

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
