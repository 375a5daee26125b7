"""Starts the window: `run_gui(path_or_None) -> exit code` (called by app.cli)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from app.settings import Settings
from resources import RESOURCES_DIR
from widgets.jobs import tune_threads_for_gui

# Set to 1: open the window and the project, report what loaded on stderr, then quit (exit code 0 when
# a project loaded, 1 otherwise). For smoke tests of installed bundles and start-up benchmarks.
QUIT_AFTER_LOAD_ENV = "LAMBDA_STUDIO_QUIT_AFTER_LOAD"


def build_window(path: str | None, settings: Settings | None = None) -> object:
    """Create the main window and open `path` (or the last project); the caller shows it."""
    from widgets.main_window import MainWindow

    settings = settings or Settings()
    window = MainWindow(settings, prestart=True)  # the first click is warm (off in the Settings)
    if settings.problem:
        window.show_message(settings.problem)
    target = path
    if target is None:
        recent = [p for p in settings.recent_projects() if Path(p).is_dir()]
        target = recent[0] if recent else None
    if target is not None:
        window.open_project(target)
    return window


def run_gui(path: str | None) -> int:
    instance = QApplication.instance()
    app = instance if isinstance(instance, QApplication) else QApplication(sys.argv[:1])
    app.setApplicationName("Lambda Studio")
    app.setOrganizationName("lambda-studio")
    app.setDesktopFileName("lambda-studio")  # matches packaging/linux/lambda-studio.desktop
    app.setWindowIcon(QIcon(str(RESOURCES_DIR / "icons" / "lambda-studio.svg")))
    tune_threads_for_gui()  # once per process, before any worker starts
    if path is not None and not Path(path).exists():
        print(f"lambda-studio: {path}: no such file or folder", file=sys.stderr)
        return 2
    window = build_window(path)
    window.show()  # type: ignore[attr-defined]
    if os.environ.get(QUIT_AFTER_LOAD_ENV) == "1":
        QTimer.singleShot(0, lambda: _report_and_quit(app, window))
    return int(app.exec())


def _report_and_quit(app: QApplication, window: object) -> None:
    project = getattr(window, "project", None)
    if project is not None:
        print(f"lambda-studio: loaded {project.root} ({len(project.functions)} functions)", file=sys.stderr)
    else:
        print("lambda-studio: no project loaded", file=sys.stderr)
    window.close()  # type: ignore[attr-defined]
    app.exit(0 if project is not None else 1)
