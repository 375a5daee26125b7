"""Result view and history: badge, payload pretty/raw, REPORT numbers, frames as links, history rows."""

from __future__ import annotations

from pathlib import Path

from runner.result import InvokeError, InvokeMetrics, InvokeResult, Outcome, StackFrame
from widgets.history_view import HistoryEntry, HistoryView
from widgets.result_view import ResultView


def _ok() -> InvokeResult:
    return InvokeResult(
        request_id="req-1",
        function_id="HelloFunction",
        outcome=Outcome.SUCCESS,
        payload=b'{"statusCode": 200, "body": "hi"}',
        metrics=InvokeMetrics(12.345, 13, 256, 48, 150.5),
        cold_start=True,
        backend="process",
        log_text="START RequestId: req-1\nEND RequestId: req-1",
    )


def test_success_shows_payload_and_numbers(qtbot):
    view = ResultView()
    qtbot.addWidget(view)
    view.show_result(_ok())
    assert view.badge.text() == "Success"
    assert '"statusCode": 200' in view.payload_text() and "\n" in view.payload_text()
    view.pretty_box.setChecked(False)
    assert view.payload_text() == '{"statusCode": 200, "body": "hi"}'
    labels = {k: v.text() for k, v in view.metric_labels.items()}
    assert labels["Duration"] == "12.35 ms"
    assert labels["Billed Duration"] == "13 ms"
    assert labels["Init Duration"] == "150.50 ms"
    assert labels["Max Memory Used"] == "48 MB"
    assert labels["Memory Size"] == "256 MB"
    assert view.error_box.isHidden()


def test_error_frames_are_links(qtbot, tmp_path: Path):
    app_py = tmp_path / "app.py"
    app_py.write_text("def handler(e, c):\n    raise ValueError('x')\n")
    result = InvokeResult(
        request_id="r",
        function_id="Fn",
        outcome=Outcome.FUNCTION_ERROR,
        payload=b'{"errorMessage": "x", "errorType": "ValueError"}',
        error=InvokeError("ValueError", "x", [StackFrame("/var/task/app.py", 2, "handler", "raise", app_py)]),
    )
    view = ResultView()
    qtbot.addWidget(view)
    view.show_result(result)
    assert view.badge.text() == "Function error"
    assert not view.error_box.isHidden()
    assert view.frame_links() == [(str(app_py), 2)]
    assert "app.py:2" in view.error_view.toPlainText()
    from PySide6.QtCore import QUrl

    url = QUrl.fromLocalFile(str(app_py))
    url.setFragment("2")
    with qtbot.waitSignal(view.open_file_requested) as blocker:
        view.error_view.anchorClicked.emit(url)
    assert blocker.args == [str(app_py), 2]


def test_running_and_failure_states(qtbot):
    view = ResultView()
    qtbot.addWidget(view)
    view.show_running("Fn", "ev")
    assert view.is_running()
    qtbot.waitUntil(lambda: view.badge.text() == "Running…", timeout=2_000)  # after RUNNING_DELAY_MS
    assert "Fn with ev" in view.detail.text()
    view.show_failure("Docker is not running: start it or pick the Process backend")
    assert "Docker" in view.detail.text()


def test_a_long_failure_wraps_in_full_and_never_widens_the_view(qtbot):
    view = ResultView()
    qtbot.addWidget(view)
    view.resize(420, 400)
    view.show()
    narrow = view.minimumSizeHint().width()
    message = (
        "Could not invoke Fn: the image "
        + "registry.example/"
        + "x" * 300
        + " could not be pulled\nsecond line"
    )
    view.show_failure(message)
    assert view.minimumSizeHint().width() <= max(narrow, 360)
    assert view.error_view.toPlainText() == message  # all of it, wrapped
    assert view.error_box.isVisible() and not view.payload.isVisible()
    assert view.detail.toolTip() == message.splitlines()[0] and view.detail.is_elided()
    view.show_result(_ok())
    assert view.payload.isVisible() and not view.error_box.isVisible()


def test_history_selection(qtbot):
    history = HistoryView()
    qtbot.addWidget(history)
    first, second = _ok(), _ok()
    second.outcome = Outcome.TIMEOUT
    history.add_entry(HistoryEntry("HelloFunction", "get-hello", first))
    history.add_entry(HistoryEntry("OrdersFunction", "two-orders", second))
    assert history.rowCount() == 2
    assert history.item(0, 0).text() == "OrdersFunction"
    assert history.item(0, 3).text() == "Timed out"
    with qtbot.waitSignal(history.entry_selected) as blocker:
        history.select_row(1)
    assert blocker.args[0].result is first


def test_a_fast_result_replaces_the_last_one_without_a_running_flash(qtbot):
    from PySide6.QtTest import QTest

    from widgets.result_view import RUNNING_DELAY_MS

    view = ResultView()
    qtbot.addWidget(view)
    badges: list[str] = []
    view.show_result(InvokeResult("1", "Fn", Outcome.FUNCTION_ERROR, payload=b'{"errorType": "E"}'))
    view.show_running("Fn", "ev")
    badges.append(view.badge.text())
    view.show_result(InvokeResult("2", "Fn", Outcome.SUCCESS, payload=b'{"ok": true}'))
    assert not view.is_running() and view.badge.text() == "Success"
    QTest.qWait(RUNNING_DELAY_MS + 100)  # the delayed "Running…" never comes after the result
    badges.append(view.badge.text())
    assert badges == ["Function error", "Success"]
    assert view.error_box.isHidden() and '"ok": true' in view.payload_text()


def test_history_short_columns_fit_their_texts_and_a_new_row_only_widens_them(qtbot):
    import datetime as dt

    view = HistoryView()
    qtbot.addWidget(view)
    view.resize(360, 200)
    view.show()
    header, metrics = view.horizontalHeader(), view.fontMetrics()
    quick = InvokeResult("1", "Fn", Outcome.SUCCESS, metrics=InvokeMetrics(1.0, 1, 128))
    view.set_entries([HistoryEntry("Fn", "ev", quick) for _ in range(100)])
    narrow = [header.sectionSize(c) for c in (2, 3, 4)]
    slow = InvokeResult("2", "Fn", Outcome.FUNCTION_ERROR, metrics=InvokeMetrics(123456.7, 123457, 128))
    view.add_entry(HistoryEntry("Fn", "ev", slow, when=dt.datetime(2026, 9, 30, 23, 59, 59)))
    wide = [header.sectionSize(c) for c in (2, 3, 4)]
    assert all(w > n for w, n in zip(wide, narrow, strict=True))  # the new row's longer texts widen them
    for column in (2, 3, 4):
        text = view.item(0, column).text()
        assert metrics.horizontalAdvance(text) < header.sectionSize(column), text  # shown whole
    view.add_entry(HistoryEntry("Fn", "ev", quick))
    assert [header.sectionSize(c) for c in (2, 3, 4)] == wide  # a shorter row leaves them alone
