"""Shared test set-up: offscreen Qt, the example project, the one skip policy and the `gui` marker."""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from pathlib import Path
from typing import Any, NoReturn

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "hello-sam"

# Fixtures that need a Qt application: a test using any of them is a GUI test.
GUI_FIXTURES = frozenset({"qtbot", "qapp", "qtmodeltester"})


def in_ci() -> bool:
    """True under CI (CI=true, as .ci/run sets it): there a missing service fails instead of skipping."""
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def unavailable(reason: str) -> NoReturn:
    """The one skip policy: skip with the reason locally, fail under CI where every service must run."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: this test must run, not skip)", pytrace=False)
    pytest.skip(reason)


def has_awslambdaric() -> bool:
    """awslambdaric ships Linux wheels only; elsewhere the tests that need it skip."""
    return sys.platform == "linux" and importlib.util.find_spec("awslambdaric") is not None


@pytest.fixture
def example_project(tmp_path: Path) -> Path:
    """A private copy of examples/hello-sam that a test may change."""
    dest = tmp_path / "hello-sam"
    shutil.copytree(EXAMPLE, dest)
    return dest


@pytest.fixture(scope="session")
def qapp(qapp: Any) -> Any:
    """pytest-qt's application, started the way the window starts it (widgets.app_main.run_gui)."""
    from widgets.jobs import tune_threads_for_gui

    tune_threads_for_gui()
    return qapp


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # A test is a GUI test when it uses a Qt fixture, wherever it lives, so `-m "not gui"` works.
    for item in items:
        if GUI_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.gui)
