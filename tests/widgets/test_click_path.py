"""The click → result path stays light: a fast run changes no layout in the run tool bar."""

from __future__ import annotations

from PySide6.QtTest import QTest

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
