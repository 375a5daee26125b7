"""The click → result path stays light: a fast run changes no layout in the run tool bar."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

from widgets.run_toolbar import BUSY_DELAY_MS, RunToolbar


def _bar(qtbot) -> RunToolbar:
    bar = RunToolbar()
    qtbot.addWidget(bar)
    bar.set_functions([("A", "A")])
    bar.show()
    qtbot.waitExposed(bar)
    return bar


def test_a_fast_run_shows_no_busy_bar(qtbot):
    bar = _bar(qtbot)
    hint = bar.sizeHint()
    bar.set_running(True, "invoking…")
    assert not bar.invoke_action.isEnabled() and bar.stop_action.isEnabled()  # at once
    assert bar.progress.isHidden() and bar.progress_label.text() == ""
    assert bar.sizeHint() == hint
    bar.set_running(False)
    QTest.qWait(BUSY_DELAY_MS + 100)
    assert bar.progress.isHidden() and bar.progress_label.text() == ""  # it never came
    assert bar.invoke_action.isEnabled() and not bar.stop_action.isEnabled()


def test_a_slow_run_shows_the_busy_bar_after_the_delay(qtbot):
    bar = _bar(qtbot)
    bar.set_running(True, "invoking…")
    qtbot.waitUntil(lambda: bar.progress.isVisible(), timeout=BUSY_DELAY_MS + 2_000)
    assert bar.progress_label.text() == "invoking…"
    bar.set_running(False)
    assert bar.progress.isHidden() and bar.progress_label.text() == ""


def test_a_slow_step_says_what_it_does_at_once(qtbot):
    bar = _bar(qtbot)
    bar.set_running(True, "invoking…")
    bar.set_progress("installing requirements…")
    assert bar.progress.isVisible() and bar.progress_label.text() == "installing requirements…"


def test_an_elided_label_measures_its_floor_again_when_its_font_or_style_changes(qtbot):
    from PySide6.QtWidgets import QWidget

    from widgets.elided_label import ElidedLabel

    parent = QWidget()
    qtbot.addWidget(parent)
    label = ElidedLabel("a rather long text to elide", parent, min_chars=4)
    small = label.minimumSizeHint()
    font = parent.font()
    font.setPointSize(font.pointSize() * 3)
    parent.setFont(font)  # inherited by the label: a FontChange
    bigger = label.minimumSizeHint()
    assert bigger.width() > small.width() and bigger.height() > small.height()
    label.setStyleSheet("QLabel { padding: 0 40px; }")
    assert label.minimumSizeHint().width() >= bigger.width() + 80


class _LayoutRequests(QObject):
    """Notes every LayoutRequest delivered to a widget of one window (a relayout on its way)."""

    def __init__(self, window: QWidget) -> None:
        super().__init__()
        self.window = window
        self.seen: list[str] = []

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        mine = isinstance(obj, QWidget) and (obj is self.window or obj.window() is self.window)
        if mine and event.type() == QEvent.Type.LayoutRequest:
            self.seen.append(f"{type(obj).__name__} {obj.objectName()}".strip())
        return False


def test_a_warm_click_lays_out_no_part_of_the_window(qtbot, make_window, example_project):
    """A warm Invoke repaints the result but lays out nothing: the toolbar's Invoke and Stop, the
    result's metrics (a new request id and duration each time) and the status bar change in place.
    Each relayout of the main window cost about a millisecond at 1280x720 (two per click before)."""
    window = make_window()
    window.open_project(example_project)
    window.tree.select_function("HelloFunction")
    window.toolbar.select_event("get-hello")
    window.toolbar.set_backend("process")

    def click() -> None:
        with qtbot.waitSignal(window.invoker.finished, timeout=60_000) as blocker:
            window.toolbar.invoke_button.click()
        assert blocker.args[0].result.ok, blocker.args[0].result.to_json()
        QApplication.processEvents()  # the result painted

    click()  # cold: the first result shows its panels
    click()
    qtbot.wait(50)
    spy = _LayoutRequests(window)
    QApplication.instance().installEventFilter(spy)
    try:
        click()
        qtbot.wait(50)  # anything posted on the way is delivered
    finally:
        QApplication.instance().removeEventFilter(spy)
    assert spy.seen == [], spy.seen
    assert window.toolbar.invoke_button.isEnabled() and not window.toolbar.stop_button.isEnabled()


def test_the_toolbar_buttons_follow_their_actions(qtbot):
    bar = _bar(qtbot)
    assert bar.invoke_button.isEnabled() and not bar.stop_button.isEnabled()
    bar.set_running(True, "invoking…")
    assert not bar.invoke_button.isEnabled() and bar.stop_button.isEnabled()  # at once
    with qtbot.waitSignal(bar.stop_requested, timeout=1000):
        bar.stop_button.click()
    bar.set_running(False)
    assert bar.invoke_button.isEnabled() and not bar.stop_button.isEnabled()
    assert bar.invoke_button.text() == bar.invoke_action.text() and "F5" in bar.invoke_button.toolTip()
    with qtbot.waitSignal(bar.invoke_requested, timeout=1000) as blocker:
        bar.invoke_button.click()
    assert blocker.args[0] == "A"


def test_an_elided_label_with_a_hint_text_repaints_without_a_relayout(qtbot):
    from PySide6.QtWidgets import QVBoxLayout

    from widgets.elided_label import ElidedLabel

    parent = QWidget()
    qtbot.addWidget(parent)
    label = ElidedLabel("—", hint_text="0000-0000")
    plain = ElidedLabel("short")
    layout = QVBoxLayout(parent)
    layout.addWidget(label)
    layout.addWidget(plain)
    parent.show()
    qtbot.waitExposed(parent)
    QApplication.processEvents()
    spy = _LayoutRequests(parent)
    QApplication.instance().installEventFilter(spy)
    try:
        hint = label.sizeHint()
        for text in ("1.25 ms", "a much longer text than the hint", "x"):
            label.setText(text)
            QApplication.processEvents()
            assert label.text() == text and label.toolTip() == text and label.sizeHint() == hint
        assert spy.seen == []
        plain.setText("a text wider than the one before")  # a plain one asks for room for its text
        QApplication.processEvents()
        assert spy.seen
    finally:
        QApplication.instance().removeEventFilter(spy)
    assert plain.sizeHint().width() > label.sizeHint().width()
