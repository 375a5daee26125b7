"""The domain and the runner must import without Qt (house plan)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import REPO

MODULES = ["app.cli", "app.project.loader", "runner.config", "runner.result"]


@pytest.mark.parametrize("module", MODULES)
def test_imports_without_pyside6(module: str) -> None:
    code = (
        f"import {module}, sys; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6', 'pyside6_scintilla')]; "
        "assert not bad, bad"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
