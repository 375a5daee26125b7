"""The event editor and template picker against the example project's saved events."""

from __future__ import annotations

import json

import pytest

from app.events.catalog import shipped_catalog
from app.events.store import EventStore
from widgets.event_editor import EventEditor
from widgets.template_picker import TemplatePicker


@pytest.fixture
def editor(qtbot, example_project):
    widget = EventEditor(catalog=shipped_catalog())
    qtbot.addWidget(widget)
    widget.set_store(EventStore(example_project))
    widget.set_function("HelloFunction")
    widget.confirm = lambda text: True
    return widget


def test_lists_and_loads_saved_events(editor):
    assert editor.event_names() == ["get-hello"]
    assert editor.current_event() == "get-hello"
    assert json.loads(editor.event_bytes())["pathParameters"] == {"name": "ada"}


def test_validation_as_you_type_underlines_error(editor, qtbot):
    editor.editor.set_text('{\n  "a": 1,\n  "b": tru\n}\n')
    qtbot.waitUntil(lambda: "Line 3" in editor.status.text(), timeout=3000)
    problem = editor.editor.diagnostics()[0]
    assert editor.editor.indicator_at(problem.line, problem.column) == "error"
    assert not editor.save()


def test_save_rename_delete_format(editor, example_project):
    editor.editor.replace_all_text('{"pathParameters": {"name": "grace"}}')
    assert editor.format_json()
    assert editor.text().startswith('{\n  "pathParameters"')
    assert editor.save()
    saved = example_project / "events" / "HelloFunction" / "get-hello.json"
    assert json.loads(saved.read_text())["pathParameters"]["name"] == "grace"
    editor.ask_name = lambda title, default: "greet-grace"
    with_signal = []
    editor.events_changed.connect(lambda fid, names: with_signal.append(names))
    assert editor.rename()
    assert editor.event_names() == ["greet-grace"] and with_signal[-1] == ["greet-grace"]
    assert editor.delete()
    assert editor.event_names() == []


def test_new_event_from_template(editor, qtbot):
    picker = TemplatePicker(shipped_catalog())
    qtbot.addWidget(picker)
    picker.select(
        "sqs",
        picker.type_combo.itemText(0) if picker.service_combo.findData("sqs") < 0 else "receive-message",
    )
    picker.name_edit.setText("from-template")
    text = picker.rendered_text()
    assert json.loads(text)
    editor.pick_template = lambda: (picker.event_name(), text)
    assert editor.new_event()
    assert "from-template" in editor.event_names()
    assert editor.current_event() == "from-template"


def test_template_picker_parameters_change_preview(qtbot):
    picker = TemplatePicker(shipped_catalog())
    qtbot.addWidget(picker)
    picker.select("alb", "request")
    picker.set_parameter("method", "DELETE")
    assert '"DELETE"' in picker.preview.toPlainText()
