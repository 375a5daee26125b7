"""cfn-lint findings in the template editor: linted off the GUI thread, merged with the project's marks."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QTimer, Signal

from app.project.model import Diagnostic, Project, Severity
from app.python_checks import Problem
from widgets.editor_tabs import EditorTabs
from widgets.jobs import JobBridge
from widgets.window_layout import diagnostics_by_file

LintFunction = Callable[[Path, threading.Event], list[Diagnostic]]


def default_lint(path: Path, cancel: threading.Event) -> list[Diagnostic]:
    """Blocks: cfn-lint one template in a child process, cached by content in the deploy's cache."""
    from app.deploy.cache import deploy_cache_dir
    from app.deploy.stack.lint import lint_template

    return lint_template(path, region="us-east-1", cache_dir=deploy_cache_dir(), isolated=True, cancel=cancel)


def as_problems(findings: list[Diagnostic]) -> list[Problem]:
    """cfn-lint findings with a line as editor marks ('cfn-lint E3012: message')."""
    out = []
    for d in findings:
        if d.line:
            severity = "error" if d.severity is Severity.ERROR else "warning"
            out.append(Problem(d.line, d.column or 1, f"{d.code}: {d.message}", severity))
    return out


class TemplateLint(QObject):
    """Keeps the editor's template marks: the project's own diagnostics plus cfn-lint's, per file.

    `set_project` (on open and on every reload, which follows a template save) shows the project's
    diagnostics at once and lints each template on the job bridge; findings of an older generation
    (the template changed again meanwhile) are dropped.
    """

    linted = Signal(str, int)  # template path, number of findings

    def __init__(
        self,
        tabs: EditorTabs,
        jobs: JobBridge,
        parent: QObject | None = None,
        *,
        lint: LintFunction | None = None,
        start_delay_ms: int = 0,
    ) -> None:
        super().__init__(parent)
        self._tabs = tabs
        self._jobs = jobs
        self._lint = lint or default_lint
        # The window waits a moment before linting an opened project: cfn-lint (a child process, and
        # its imports here) would otherwise share the CPU with the window's first paint.
        self._start_delay_ms = start_delay_ms
        self._generation = 0
        self._base: dict[str, list[Problem]] = {}
        self._cfn: dict[str, list[Problem]] = {}
        self._held: list[Any] = []  # running jobs, kept alive until they deliver

    def set_project(self, project: Project | None) -> None:
        self._generation += 1
        self._base = diagnostics_by_file(project) if project is not None else {}
        self._cfn = {}
        self._publish()
        if project is None:
            return
        generation, templates = self._generation, [Path(t).resolve() for t in project.templates]

        def start() -> None:
            if generation == self._generation:  # not superseded meanwhile (reload, close)
                for template in templates:
                    self._start(template, generation)

        if self._start_delay_ms > 0:
            QTimer.singleShot(self._start_delay_ms, self, start)
        else:
            start()

    def _start(self, path: Path, generation: int) -> None:
        lint = self._lint
        job = self._jobs.submit(lambda sink, cancel: lint(path, cancel), "cfn-lint")
        self._held.append(job)

        def deliver(findings: object) -> None:
            if not shiboken6.isValid(self):  # the window closed while cfn-lint ran
                return
            if generation == self._generation and isinstance(findings, list):
                self._cfn[str(path)] = as_problems(findings)
                self._publish()
                self.linted.emit(str(path), len(findings))

        job.finished.connect(deliver)
        job.done.connect(lambda: self._held.remove(job) if job in self._held else None)

    def _publish(self) -> None:
        merged: dict[str, list[Problem]] = {}
        for source in (self._base, self._cfn):
            for path, problems in source.items():
                merged.setdefault(str(Path(path).resolve()), []).extend(problems)
        self._tabs.set_external_diagnostics(merged)
