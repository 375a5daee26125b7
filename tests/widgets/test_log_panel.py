"""The log panel: colours by kind, filter and search, cap, copy/save, and 100,000 lines without a stall."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication

from widgets.log_panel import END, ERROR, NORMAL, REPORT, START, WARNING, LogPanel, classify


@pytest.fixture
def panel(qtbot):
    p = LogPanel()
    qtbot.addWidget(p)
    p.resize(800, 300)
    p.show()
    return p


LINES = [
    "START RequestId: 1 Version: $LATEST",
    "greeting 'ada'",
    "[WARNING] slow thing",
    "Traceback (most recent call last):",
    "END RequestId: 1",
    "REPORT RequestId: 1\tDuration: 3.10 ms\tBilled Duration: 4 ms",
]


def test_classify():
    assert [classify(line) for line in LINES] == [START, NORMAL, WARNING, ERROR, END, REPORT]


def test_append_filter_search(panel):
    panel.append_log_lines(LINES)
    assert panel.lines() == LINES
    panel.level_combo.setCurrentText("Errors + warnings")
    assert panel.lines() == [LINES[2], LINES[3]]
    panel.append_log_lines(["ValueError: bad", "quiet"])
    assert panel.lines()[-1] == "ValueError: bad"
    panel.level_combo.setCurrentText("All lines")
    panel.filter_edit.setText("requestid")
    assert len(panel.lines()) == 3
    panel.filter_edit.clear()
    assert panel.find_next("greeting")
    assert panel.view.currentIndex().row() == 1
    assert not panel.find_next("absent")


def test_cap_drops_oldest(qtbot):
    panel = LogPanel(max_lines=100)
    qtbot.addWidget(panel)
    panel.append_log_lines([f"l{i}" for i in range(250)])
    lines = panel.lines()
    assert len(lines) == 100 and lines[0] == "l150" and lines[-1] == "l249"
    panel.filter_edit.setText("l24")
    panel.append_log_lines([f"l{i}" for i in range(250, 400)])
    assert all(line.startswith("l24") or "l24" in line for line in panel.lines())


def test_copy_save_clear_wrap(panel, tmp_path):
    panel.append_log_lines(LINES)
    panel.flush()
    panel.copy_to_clipboard()
    assert QGuiApplication.clipboard().text().splitlines() == LINES
    target = tmp_path / "out.log"
    panel.save_to(target)
    assert target.read_text().splitlines() == LINES
    panel.set_wrap(True)
    assert panel.wrap_box.isChecked() and panel.view.wordWrap()
    panel.clear()
    assert panel.lines() == []


def test_hundred_thousand_lines_are_added_in_chunks_with_the_event_loop_turning_between(panel, qtbot):
    """A burst never blocks the event loop: nothing is added inside the call, at most CHUNK rows per turn, and
    other events (a 0 ms timer here) run between the chunks. How long it takes is measured in bench/gui.py."""
    from widgets.log_panel import CHUNK

    ticks = [0]
    timer = QTimer(interval=0)
    timer.timeout.connect(lambda: ticks.__setitem__(0, ticks[0] + 1))
    inserted: list[tuple[int, int]] = []  # (rows added, timer ticks so far)
    panel.model.rowsInserted.connect(
        lambda _parent, first, last: inserted.append((last - first + 1, ticks[0]))
    )
    timer.start()
    for i in range(0, 100_000, 5_000):  # as the 50 ms batches of a chatty function would arrive
        panel.append_log_lines(
            [f"{j} some log output from the function, INFO level" for j in range(i, i + 5_000)]
        )
    assert panel.model.rowCount() == 0 and panel.pending() == 100_000  # queued, not added in the call
    qtbot.waitUntil(lambda: panel.pending() == 0 and panel.model.rowCount() == 100_000, timeout=60_000)
    timer.stop()
    assert sum(n for n, _ in inserted) == 100_000
    assert max(n for n, _ in inserted) <= CHUNK
    turns = [b[1] - a[1] for a, b in zip(inserted, inserted[1:], strict=False)]
    assert min(turns) >= 1, turns  # the timer ran between every two chunks


def test_long_lines_scroll_horizontally(panel, qtbot):
    panel.append_log_lines(["REPORT RequestId: 1\t" + "x" * 400])
    panel.flush()
    qtbot.waitUntil(lambda: panel.view.horizontalScrollBar().maximum() > 0, timeout=2000)


def test_tab_separated_lambda_lines_show_their_message_close_to_the_level(qtbot):
    from PySide6.QtCore import Qt

    from widgets.log_panel import LogPanel

    panel = LogPanel()
    qtbot.addWidget(panel)
    line = "[INFO]\t2026-11-30T04:00:00.000Z\tf631e7fa-fdd0-44b6-82ab-c8febcb64cfa\tgreeting ada"
    panel.append_log_lines([line])
    panel.flush()
    shown = panel.model.data(panel.model.index(0), Qt.ItemDataRole.DisplayRole)
    assert "\t" not in shown and shown.endswith("greeting ada") and shown.index("greeting") < 80
    assert panel.model.all_lines() == [line]  # copied and saved as it came
