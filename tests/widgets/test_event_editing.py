"""Editing events in the window: Ctrl+S where the focus is, unsaved marker, Save/Discard/Cancel, restore, room."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from app.events.store import EventStore
from widgets.editor_tabs import CANCEL, DISCARD, SAVE
from widgets.main_window import MainWindow

pytestmark = [pytest.mark.timeout(120)]


def _orders(w: MainWindow, project: Path) -> Path:
    assert w.open_project(project)
    w._select_function("OrdersFunction")
    assert w.event_editor.current_event() == "two-orders"
    return project / "events" / "OrdersFunction" / "two-orders.json"


def test_ctrl_s_saves_the_event_when_it_has_the_focus(qtbot, make_window, example_project):
    w = make_window()
    saved = _orders(w, example_project)
    code = w.tabs.open_file(example_project / "src" / "orders" / "app.py")
    assert code is not None
    code.insert_at_cursor("# edited code\n")
    ee = w.event_editor
    ee.editor.set_text('{"orders": []}\n')
    ee.editor.insert_at_cursor(" ")
    ee.editor.setFocus(Qt.FocusReason.OtherFocusReason)
    qtbot.waitUntil(lambda: ee.isAncestorOf(w.focusWidget()) if w.focusWidget() else False, timeout=3_000)
    assert w.menus.actions["save"].shortcut().toString() == "Ctrl+S"
    w.menus.actions["save"].trigger()
    assert '"orders": []' in saved.read_text()
    assert not ee.is_dirty() and code.is_dirty()  # the code tab was not the one saved


def test_unsaved_marker_and_save_discard_cancel_when_leaving(qtbot, make_window, example_project):
    w = make_window()
    saved = _orders(w, example_project)
    before = saved.read_text()
    ee = w.event_editor
    EventStore(example_project).save("OrdersFunction", "other", "{}")
    ee.refresh()
    ee.editor.insert_at_cursor('{"mine": 1}\n')
    assert "●" in ee.title.text() and "●" in w.docks["eventDock"].windowTitle()
    asked = []
    ee.ask_unsaved = lambda name: asked.append(name) or CANCEL
    assert not ee.select_event("other")
    assert ee.current_event() == "two-orders" and ee.text().startswith('{"mine": 1}')
    w._select_function("HelloFunction")  # switching function keeps the edit too
    assert ee.function_id() == "OrdersFunction" and w.toolbar.current_function() == "OrdersFunction"
    ee.ask_unsaved = lambda name: asked.append(name) or DISCARD
    assert ee.select_event("other")
    assert saved.read_text() == before and asked == ["two-orders"] * 3
    assert ee.select_event("two-orders")
    ee.editor.insert_at_cursor('{"kept": 2}\n')
    ee.ask_unsaved = lambda name: SAVE  # Save, but the text is not JSON: nothing written, the user stays
    assert not ee.select_event("other")
    assert saved.read_text() == before and ee.current_event() == "two-orders"


def test_save_answer_writes_a_valid_event(qtbot, make_window, example_project):
    w = make_window()
    saved = _orders(w, example_project)
    ee = w.event_editor
    EventStore(example_project).save("OrdersFunction", "other", "{}")
    ee.refresh()
    ee.editor.replace_all_text('{"kept": 2}\n')
    assert "●" in ee.title.text()
    ee.ask_unsaved = lambda name: SAVE
    assert ee.select_event("other")
    assert saved.read_text().startswith('{"kept": 2}') and ee.current_event() == "other"
    assert "●" not in ee.title.text() and "●" not in w.docks["eventDock"].windowTitle()


def test_invoke_never_saves_an_invalid_json_tab(qtbot, make_window, example_project):
    w = make_window()
    saved = _orders(w, example_project)
    before = saved.read_text()
    tab = w.tabs.open_file(saved)  # the event file opened as a code tab
    assert tab is not None
    tab.insert_at_cursor("{ not json")
    code = w.tabs.open_file(example_project / "src" / "orders" / "app.py")
    assert code is not None
    code.insert_at_cursor("# saved before running\n")
    w.toolbar.set_backend("process")
    with qtbot.waitSignal(w.invoker.finished, timeout=60_000):
        assert w.invoke("OrdersFunction", "two-orders", "process")
    assert saved.read_text() == before
    assert (example_project / "src" / "orders" / "app.py").read_text().startswith("# saved before running")


def test_deleted_event_is_restored_from_a_trash_outside_the_project(qtbot, make_window, example_project):
    w = make_window()
    saved = _orders(w, example_project)
    content = saved.read_bytes()
    ee = w.event_editor
    ee.confirm = lambda text: True
    assert ee.delete()
    assert not saved.exists()
    assert not (example_project / ".lambda-studio").exists()  # no untracked trash in the user's repository
    offered = []
    ee.pick_trashed = lambda trashed: offered.append(trashed) or trashed[0]
    assert ee.restore_deleted()
    assert [(t.function_id, t.name) for t in offered[0]] == [("OrdersFunction", "two-orders")]
    assert saved.read_bytes() == content and ee.current_event() == "two-orders"


def test_event_editor_beside_the_code_is_remembered(qtbot, make_window, example_project, tmp_path):
    config = tmp_path / "remember"
    w = make_window(config)
    _orders(w, example_project)
    assert w.event_place == "beside" and w.event_editor.isVisible()
    assert w.code_split.isAncestorOf(w.event_editor) and not w.docks["eventDock"].isVisible()
    w.menus.actions["event_beside"].trigger()  # unchecked: back into its dock
    assert w.event_place == "dock" and w.docks["eventDock"].isVisible()
    assert w.docks["eventDock"].isAncestorOf(w.event_editor)
    again = make_window(config)
    assert again.event_place == "dock" and not again.menus.actions["event_beside"].isChecked()


def test_template_picker_lists_services_by_title_and_defaults_to_the_functions_trigger(
    qtbot, example_project
):
    from app.events.catalog import shipped_catalog
    from app.events.triggers import trigger_template
    from app.project.loader import load_project
    from widgets.template_picker import TemplatePicker

    project = load_project(example_project)
    hello, orders = project.function("HelloFunction"), project.function("OrdersFunction")
    assert trigger_template(hello) == ("apigateway", "http-api-proxy")  # Events: Type: HttpApi
    assert trigger_template(orders) == ("sqs", "receive-message")
    picker = TemplatePicker(shipped_catalog(), suggested=trigger_template(hello))
    qtbot.addWidget(picker)
    titles = [picker.service_combo.itemText(i) for i in range(picker.service_combo.count())]
    assert titles == sorted(titles, key=str.casefold)
    assert (picker.service_combo.currentData(), picker.type_combo.currentText()) == (
        "apigateway",
        "http-api-proxy",
    )
    assert '"routeKey"' in picker.rendered_text()


def test_new_event_in_the_window_starts_from_the_functions_trigger(qtbot, make_window, example_project):
    w = make_window()
    _orders(w, example_project)
    seen = []
    seen.append(w.event_editor.suggest_template("OrdersFunction"))
    seen.append(w.event_editor.suggest_template("HelloFunction"))
    assert seen == [("sqs", "receive-message"), ("apigateway", "http-api-proxy")]


def test_refused_invoke_and_rename_conflict_are_said_in_the_event_panel(qtbot, make_window, example_project):
    w = make_window()
    _orders(w, example_project)
    ee = w.event_editor
    ee.editor.set_text('{"Records": [')
    assert not w.invoke("OrdersFunction", "two-orders", "process")
    assert "Not invoked" in ee.status.text() and "not valid JSON" in ee.status.text()
    ee.editor.set_text("{}")
    EventStore(example_project).save("OrdersFunction", "taken", "{}")
    ee.refresh()
    ee.ask_name = lambda title, default: "taken"
    assert not ee.rename()
    assert "taken" in ee.status.text()  # the conflict is shown where the user renamed


def test_template_picker_keeps_its_width_while_typing(qtbot):
    from app.events.catalog import shipped_catalog
    from widgets.template_picker import TemplatePicker

    picker = TemplatePicker(shipped_catalog(), suggested=("s3", "put"))
    qtbot.addWidget(picker)
    picker.show()
    width = picker.width()
    picker.set_parameter("size", "not a number " + "x" * 300)  # a long error appears under the form
    qtbot.wait(50)
    assert picker.error.text() and not picker.buttons.button(picker.buttons.StandardButton.Ok).isEnabled()
    assert picker.width() == width and picker.minimumSizeHint().width() <= width
    picker.name_edit.setText("a-very-long-event-name-" * 10)
    qtbot.wait(50)
    assert picker.width() == width
