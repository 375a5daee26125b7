"""Starts the window: `run_gui(path_or_None) -> exit code` (called by app.cli)."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication

from app.settings import Settings


def build_window(path: str | None, settings: Settings | None = None) -> object:
    """Create the main window and open `path` (or the last project); the caller shows it."""
    from widgets.main_window import MainWindow

    settings = settings or Settings()
    window = MainWindow(settings)
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
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Lambda Studio")
    app.setOrganizationName("lambda-studio")
    if path is not None and not Path(path).exists():
        print(f"lambda-studio: {path}: no such file or folder", file=sys.stderr)
        return 2
    window = build_window(path)
    window.show()  # type: ignore[attr-defined]
    return int(app.exec())
