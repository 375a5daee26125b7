"""The project tree on the example project: functions, files, events, badges, intents, context menu."""

from __future__ import annotations

from pathlib import Path

from app.project.loader import load_project
from app.project.model import Diagnostic, Severity
from widgets.project_tree import ProjectTree, handler_location


def _tree(qtbot, example_project):
    project = load_project(example_project)
    tree = ProjectTree()
    qtbot.addWidget(tree)
    tree.set_project(project, {"HelloFunction": ["get-hello"], "OrdersFunction": ["two-orders"]})
    return tree, project


def test_functions_files_and_events(qtbot, example_project):
    tree, project = _tree(qtbot, example_project)
    assert set(tree.function_ids()) == {"HelloFunction", "OrdersFunction"}
    hello = tree.function_item("HelloFunction")
    children = [hello.child(i).text(0) for i in range(hello.childCount())]
    assert "app.py" in children and "Events (1)" in children
    assert tree.event_names("HelloFunction") == ["get-hello"]
    tree.set_events("HelloFunction", ["a", "b"])
    assert tree.event_names("HelloFunction") == ["a", "b"]
    assert not hello.icon(0).isNull()


def test_selection_and_open_handler_intents(qtbot, example_project):
    tree, project = _tree(qtbot, example_project)
    with qtbot.waitSignal(tree.function_selected) as blocker:
        tree.select_function("OrdersFunction")
    assert blocker.args == ["OrdersFunction"]
    with qtbot.waitSignal(tree.open_file_requested) as blocker:
        tree.open_handler("HelloFunction")
    path, line = blocker.args
    assert path.endswith("hello/app.py")
    assert Path(path).read_text().splitlines()[line - 1].startswith("def lambda_handler")
    assert handler_location(project.function("HelloFunction")) == (path, line)


def test_context_menu_actions_emit_intents(qtbot, example_project):
    tree, _ = _tree(qtbot, example_project)
    events_folder = tree.function_item("HelloFunction")
    event_item = None
    for i in range(events_folder.childCount()):
        if events_folder.child(i).text(0).startswith("Events"):
            event_item = events_folder.child(i).child(0)
    menu = tree.build_menu(event_item)
    actions = {a.text(): a for a in menu.actions() if a.text()}
    assert set(actions) >= {
        "Invoke",
        "Debug",
        "Invoke with event…",
        "Deploy…",
        "New event",
        "Open handler",
        "Reveal in file manager",
    }
    with qtbot.waitSignal(tree.invoke_requested) as blocker:
        actions["Invoke"].trigger()
    assert blocker.args == ["HelloFunction", "get-hello"]
    with qtbot.waitSignal(tree.debug_requested) as blocker:
        actions["Debug"].trigger()
    assert blocker.args == ["HelloFunction", "get-hello"]
    with qtbot.waitSignal(tree.deploy_requested) as blocker:
        actions["Deploy…"].trigger()
    assert blocker.args == ["HelloFunction"]
    with qtbot.waitSignal(tree.new_event_requested):
        actions["New event"].trigger()
    with qtbot.waitSignal(tree.reveal_requested):
        actions["Reveal in file manager"].trigger()


def test_diagnostics_badge(qtbot, example_project):
    project = load_project(example_project)
    project.function("HelloFunction").diagnostics.append(
        Diagnostic(Severity.ERROR, "handler", "handler not found", function_id="HelloFunction")
    )
    tree = ProjectTree()
    qtbot.addWidget(tree)
    tree.set_project(project)
    item = tree.function_item("HelloFunction")
    assert "⚠ 1" in item.text(0)
    assert "handler not found" in item.toolTip(0)


def test_a_template_that_cannot_be_read_is_shown_with_its_message(qtbot, tmp_path):
    (tmp_path / "template.yaml").mkdir()  # a folder where the template should be
    tree = ProjectTree()
    qtbot.addWidget(tree)
    tree.set_project(load_project(tmp_path))
    assert tree.topLevelItemCount() == 1
    item = tree.topLevelItem(0)
    assert item.text(0) == "template.yaml  ⚠" and "is a folder, not a file" in item.toolTip(0)
    with qtbot.assertNotEmitted(tree.open_file_requested):
        tree.itemActivated.emit(item, 0)  # a folder is not opened in the editor
