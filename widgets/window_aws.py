"""The main window's AWS part: docks the explorer, opens the deploy dialog, invokes deployed functions."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer


class AwsMixin:
    """Mixed into MainWindow, which provides the attributes used here (hence `self: Any`: typing the
    window here would import main_window back)."""

    # --- AWS: the workbench owns the explorer and the deploy dialog; the window docks and links them ----
    def _build_aws(self: Any) -> None:
        from widgets.aws_workbench import AwsWorkbench

        aws = self.aws = AwsWorkbench(self.settings, self.jobs, self)
        dock = self.add_dock(
            "awsDock", "AWS", aws.explorer, Qt.DockWidgetArea.LeftDockWidgetArea, tab_with="projectDock"
        )
        self.docks["projectDock"].raise_()
        # listed when the dock is first shown (no AWS call at start-up) and after a settings change
        self._aws_stale = True
        dock.visibilityChanged.connect(lambda shown: self._aws_shown(shown))
        self.toolbar.addSeparator()
        self.toolbar.addActions([aws.remote_invoke_action, aws.deploy_action])
        self.menus.add_run_actions([aws.remote_invoke_action, aws.deploy_action], ["invoke_remote", "deploy"])
        self.status.addPermanentWidget(aws.status_label)
        self._refresh_aws_soon = QTimer(self, singleShot=True, interval=0)
        # another profile, region or endpoint: the AWS panel lists that account (when it is shown)
        self._refresh_aws_soon.timeout.connect(lambda: self._aws_shown(dock.isVisible(), stale=True))
        self.status.engine_label.setMaximumWidth(220)  # a long engine error must not widen the window
        self.status.addPermanentWidget(self.prestart_label)
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

    def _aws_shown(self: Any, shown: bool, *, stale: bool = False) -> None:
        self._aws_stale = self._aws_stale or stale
        if shown and (self._aws_stale or not self.aws.explorer.functions):
            self._aws_stale = False
            self.aws.explorer.refresh()

    def deploy_dialog(self: Any) -> object:
        """Deploy… (Ctrl+Shift+D): the selected function, saved first so the package holds what is shown."""
        spec = self.project.function(self.toolbar.current_function()) if self.project else None
        if spec is None:
            self.show_message("Open a project and pick a function to deploy")
            return None
        self.tabs.save_all()
        return self.aws.open_deploy_dialog(spec)

    def invoke_remote(self: Any, function_id: str, event_name: str) -> bool:
        """The deployed function (its FunctionName) with the selected event; answer in the result view."""
        spec = self.project.function(function_id) if self.project and function_id else None
        event = self._event_bytes(function_id, event_name) if spec else None
        if spec is None or event is None:
            if spec is None:
                self.show_message("Open a project and pick a function to invoke remotely")
            return False
        self.log_panel.clear()
        return self.aws.invoke_remote(function_id, spec.function_name, event_name, event) is not None

    def _invoke_deployed(self: Any, name: str) -> None:
        """The explorer's Invoke: the event editor's text as it is."""
        if not self.event_editor.is_valid():
            self.event_editor.say("Not invoked: the event is not valid JSON; fix the underlined spot first")
            return
        self.log_panel.clear()
        self.aws.invoke_remote(
            name, name, self.event_editor.current_event() or "", self.event_editor.event_bytes()
        )
