"""The Local API dock in the main window at 1280×720: started on the example project, one request answered,
double-clicking a route opens its handler; writes the screenshot when LAMBDA_STUDIO_SHOT names a file."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QScrollArea

from app.settings import Settings
from tests.widgets.window_support import shown
from widgets.main_window import MainWindow


def test_local_api_dock_in_the_window(qtbot, example_project: Path) -> None:
    settings = Settings()
    settings.set("backend", "process")
    window = shown(qtbot, MainWindow(settings), (1280, 720))
    assert window.open_project(example_project)
    dock = window.docks["localApiDock"]
    dock.raise_()
    api = window.local_api
    api.port.setValue(0)
    api.start()
    qtbot.waitUntil(lambda: api.api is not None, timeout=30_000)
    assert api.routes.item(0, 1).text() == "/hello/{name}"
    api.routes.selectRow(0)
    api.workbench.path.setText("/hello/ada")
    api.workbench.send_button.click()
    qtbot.waitUntil(lambda: "200 OK" in api.response.status.text(), timeout=60_000)
    assert '"message": "Hello, ada!"' in api.response.text.toPlainText()
    qtbot.waitUntil(lambda: api.history.count() == 1, timeout=5_000)
    assert window.invoker.warm_count() == 1  # the request ran on the invokes' warm runtime
    qtbot.waitUntil(  # the server's lines reach the log panel in 50 ms batches
        lambda: any("[GET /hello/ada] START RequestId" in line for line in window.log_panel.lines()),
        timeout=5_000,
    )
    # everything fits: the dock's widgets are not squeezed below their minimum at 1280×720
    assert dock.isVisible() and api.workbench.send_button.isVisible() and api.response.isVisible()
    assert api.width() >= api.minimumSizeHint().width() - 1
    # at 1280×720 the panel shares the narrow left column: shown, it widens to its content, so nothing
    # (Send, Copy as curl, Save as test event) sits behind a sideways scroll bar
    holder = dock.widget()
    assert isinstance(holder, QScrollArea)
    qtbot.waitUntil(lambda: not holder.horizontalScrollBar().isVisible(), timeout=5_000)
    assert dock.width() <= window.width() * 2 // 5
    # a panel the user made wider than that is never narrowed, even when its content needs more still
    api.setMinimumWidth(700)
    window.resizeDocks([dock], [600], Qt.Orientation.Horizontal)
    qtbot.waitUntil(lambda: dock.width() > window.width() * 2 // 5, timeout=5_000)
    wide = dock.width()
    window.give_dock_room("localApiDock")
    qtbot.wait(200)  # a resize of the docks is laid out in a later turn of the event loop
    assert dock.width() == wide
    api.setMinimumWidth(0)
    # the listening URLs never widen it: the label elides (full text in its tooltip)
    assert api.url.minimumSizeHint().width() < api.url.fontMetrics().horizontalAdvance(api.url.text())
    item = api.routes.item(0, 0)
    api.routes.itemDoubleClicked.emit(item)
    qtbot.waitUntil(lambda: window.tabs.current_path() is not None, timeout=5_000)
    assert window.tabs.current_path().endswith("src/hello/app.py")
    shot = os.environ.get("LAMBDA_STUDIO_SHOT")
    if shot:  # not an assertion path: only writes the picture for docs/
        qtbot.wait(200)
        window.grab().save(shot)
    api.stop()
    qtbot.waitUntil(lambda: not api.is_running(), timeout=15_000)
    window.tabs.ask_unsaved = lambda paths: "discard"
    window.close()


def test_the_local_api_panel_is_made_when_its_tab_is_first_shown(qtbot, example_project: Path) -> None:
    from widgets.local_api_dock import LocalApiDock

    settings = Settings()
    settings.set("backend", "process")
    window = MainWindow(settings)
    qtbot.addWidget(window)
    window.resize(1280, 720)
    window.show()
    assert window.open_project(example_project)
    qtbot.wait(50)
    assert window._local_api is None  # noqa: SLF001 - not made while another tab is on top
    dock = window.docks["localApiDock"]
    dock.raise_()  # the user clicks its tab
    qtbot.waitUntil(lambda: window._local_api is not None, timeout=5_000)  # noqa: SLF001
    holder = dock.widget()
    assert isinstance(holder, QScrollArea) and isinstance(holder.widget(), LocalApiDock)
    assert holder.widget() is window.local_api
    assert window.local_api.project is not None and window.local_api.project.root == window.project.root
    assert window.local_api.start_button.isEnabled()  # it knows the open project: ready to start
    window.close_project()
    assert window.local_api.project is None and not window.local_api.start_button.isEnabled()
    window.tabs.ask_unsaved = lambda paths: "discard"
    window.close()
