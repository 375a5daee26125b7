"""Help → About Lambda Studio opens the About dialog from the main window."""

from __future__ import annotations

from app.settings import Settings
from widgets.about_dialog import AboutDialog
from widgets.jobs import JobBridge
from widgets.main_window import MainWindow


def test_help_menu_opens_about(qtbot, tmp_path) -> None:
    jobs = JobBridge()
    window = MainWindow(Settings(tmp_path / "config"), jobs=jobs, engine_probe=lambda: "not needed")
    qtbot.addWidget(window)
    window.show()
    about = window.menus.actions["about"]
    assert about in window.menus.help.actions()
    assert window.menus.help.menuAction() in window.menuBar().actions()
    about.trigger()
    qtbot.waitUntil(
        lambda: any(isinstance(w, AboutDialog) and w.isVisible() for w in window.findChildren(AboutDialog))
    )
    dialog = window.findChildren(AboutDialog)[0]
    dialog.close()
    assert jobs.shutdown(5_000)
