"""The main window's layout: the editor area, the event editor's place, docks that fit the screen."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFrame,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from widgets.start_page import StartPage
from widgets.window_layout import (
    fit_to_screen,
)


class LayoutMixin:
    """The window's central area and its panels.

    Mixed into MainWindow, which provides the attributes used here (hence `self: Any`: typing the
    window here would import main_window back).
    """

    # --- layout -----------------------------------------------------------------------------------
    def _layout_widgets(self: Any) -> None:
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

    def set_event_place(self: Any, place: str) -> None:
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
        self: Any,
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
        dock.visibilityChanged.connect(  # a turn later: the dock's tab has been laid out by then
            lambda visible: visible and QTimer.singleShot(0, self, lambda: self.give_dock_room(name))
        )
        self.addDockWidget(area, dock)
        if tab_with is not None and tab_with in self.docks:
            self.tabifyDockWidget(self.docks[tab_with], dock)
        self.menus.add_panel(name, dock)
        return dock

    def give_dock_room(self: Any, name: str) -> None:
        """A docked panel narrower than its content's minimum widens to it when shown (up to two fifths
        of the window), so its buttons are not behind a sideways scroll bar; it never narrows one."""
        dock = self.docks[name]
        holder = dock.widget()
        if dock.isFloating() or not dock.isVisible() or not isinstance(holder, QScrollArea):
            return
        content = holder.widget()
        if content is None:
            return
        least = content.minimumSizeHint().expandedTo(content.minimumSize())
        need = least.width()
        if least.height() > holder.viewport().height():
            need += holder.verticalScrollBar().sizeHint().width()
        width = min(dock.width() + need - holder.viewport().width(), self.width() * 2 // 5)
        if width > dock.width():
            self.resizeDocks([dock], [width], Qt.Orientation.Horizontal)

    def _fit_to_screen(self: Any) -> None:
        screen = self.screen() or QApplication.primaryScreen()
        if screen is not None:
            fit_to_screen(self, screen.availableGeometry())
