"""The window's Local cloud runs functions on the toolbar's backend; Auto may use containers there too."""

from __future__ import annotations

from pathlib import Path

from app.settings import Settings
from runner.backends.auto import AutoBackend
from runner.backends.process.backend import ProcessBackend
from widgets.jobs import JobBridge
from widgets.main_window import MainWindow


def test_auto_gives_the_local_cloud_the_auto_backend_and_process_stays_process(qtbot, tmp_path: Path) -> None:
    window = MainWindow(Settings(tmp_path / "config"), jobs=JobBridge(), engine_probe=lambda: "not needed")
    qtbot.addWidget(window)
    made = []
    try:
        for name in ("auto", "process"):
            window.toolbar.set_backend(name)
            made.append(window.local_cloud.make_backend())
        assert isinstance(made[0], AutoBackend)  # it used to be forced to a process backend
        assert isinstance(made[1], ProcessBackend)
    finally:
        for backend in made:
            backend.close()
