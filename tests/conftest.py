"""Shared test set-up: offscreen Qt, the example project, and where test services live."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "hello-sam"


@pytest.fixture
def example_project(tmp_path: Path) -> Path:
    """A private copy of examples/hello-sam that a test may change."""
    dest = tmp_path / "hello-sam"
    shutil.copytree(EXAMPLE, dest)
    return dest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Tests under tests/widgets are GUI tests; mark them so `-m "not gui"` works.
    for item in items:
        if "tests/widgets" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.gui)
