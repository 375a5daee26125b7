"""cfn-lint findings appear in the template editor at their line and column (real cfn-lint, off the GUI thread)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.settings import Settings
from widgets.editor_tabs import DISCARD, EditorTabs
from widgets.jobs import JobBridge
from widgets.main_window import MainWindow
from widgets.stack_lint import TemplateLint


@pytest.fixture(autouse=True)
def _scratch_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # the lint cache stays in the test


def test_a_cfn_lint_error_is_marked_at_its_line_after_save(qtbot, tmp_path, example_project):
    jobs = JobBridge()
    window = MainWindow(Settings(tmp_path / "config"), jobs=jobs, engine_probe=lambda: "not needed")
    window.tabs.ask_unsaved = lambda paths: DISCARD
    window.ask_recover = lambda paths: False
    qtbot.addWidget(window)
    try:
        window.open_project(example_project)
        editor = window.tabs.open_file(example_project / "template.yaml")
        assert editor is not None
        text = editor.text().replace("VisibilityTimeout: 60", "VisibilityTimeout: sixty")
        line = next(i for i, t in enumerate(text.splitlines(), 1) if "VisibilityTimeout: sixty" in t)
        editor.replace_all_text(text)
        assert window.tabs.save()  # a save reloads the project, which lints the template again
        qtbot.waitUntil(lambda: "cfn-lint E3012" in (editor.diagnostic_text_at(line) or ""), timeout=60_000)
        assert "'sixty' is not of type 'integer'" in (editor.diagnostic_text_at(line) or "")
        assert editor.indicator_at(line, 7) == "error"  # cfn-lint's column: the property's key
        assert editor.diagnostic_text_at(line - 1) is None
    finally:
        window.invoker.close_backends()
        assert jobs.shutdown(30_000)


def test_stale_findings_are_dropped_and_project_marks_kept(qtbot, tmp_path, example_project):
    import threading

    from app.project.loader import load_project
    from app.project.model import Diagnostic, Severity

    tabs = EditorTabs()
    qtbot.addWidget(tabs)
    jobs = JobBridge()
    template = (example_project / "template.yaml").resolve()
    tpl = template.read_text()
    template.write_text(tpl.replace("Handler: app.handler", "Handler: app.nope"))
    calls: list[Path] = []
    release = threading.Event()

    def slow_then_fast(
        path: Path, cancel: threading.Event
    ) -> list[Diagnostic]:  # injected so the order of answers is controlled
        calls.append(path)
        n = len(calls)
        if n == 1:
            release.wait(10)
        return [Diagnostic(Severity.WARNING, "cfn-lint W1", f"finding {n}", path, 3, 1)]

    lint = TemplateLint(tabs, jobs, lint=slow_then_fast)
    editor = tabs.open_file(template)
    assert editor is not None
    project = load_project(example_project)
    own = next(d for d in project.all_diagnostics if "not found" in d.message)
    lint.set_project(project)  # generation 1: its lint is held back
    assert "not found" in (editor.diagnostic_text_at(own.line) or "")  # the project's own marks at once
    qtbot.waitUntil(lambda: len(calls) == 1, timeout=10_000)
    with qtbot.waitSignal(lint.linted, timeout=10_000):
        lint.set_project(project)  # generation 2 answers first
    release.set()
    qtbot.waitUntil(lambda: not jobs.active_jobs(), timeout=10_000)
    qtbot.wait(100)
    marks = editor.diagnostic_text_at(3) or ""
    assert "finding 2" in marks and "finding 1" not in marks  # the older answer was dropped
    assert "not found" in (editor.diagnostic_text_at(own.line) or "")  # merged with the project's marks
    lint.set_project(None)
    assert editor.diagnostic_text_at(3) is None
    assert jobs.shutdown(10_000)


def test_a_lint_finishing_after_its_window_closed_is_dropped_quietly(qtbot, example_project):
    import threading

    import shiboken6

    from app.project.loader import load_project

    tabs = EditorTabs()
    qtbot.addWidget(tabs)
    jobs = JobBridge()
    started, release = threading.Event(), threading.Event()

    def held(path: Path, cancel: threading.Event) -> list:
        started.set()
        release.wait(10)
        return []

    lint = TemplateLint(tabs, jobs, lint=held, start_delay_ms=10)  # the window's delay, shortened
    lint.set_project(load_project(example_project))
    qtbot.waitUntil(started.is_set, timeout=10_000)
    shiboken6.delete(lint)  # the window (its parent) is gone while cfn-lint still runs
    release.set()
    qtbot.waitUntil(lambda: not jobs.active_jobs(), timeout=10_000)
    qtbot.wait(100)  # the job's answer is delivered: pytest-qt fails the test on an exception in it
