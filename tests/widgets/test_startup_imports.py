"""Opening the window on the example stays light: the heavy libraries that only some panels need (PyJWT for
the auth preset, boto3/moto for the local cloud, cfn-lint, the CLI's command registry) are not imported until
used. A window start-up of 1.3 s instead of 0.5 s came from such imports (docs/benchmarks.md, Desktop window)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.gui, pytest.mark.timeout(180)]

PROBE = r"""
import json, sys
from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication
from widgets.app_main import build_window
app = QApplication(sys.argv[:1])
window = build_window(sys.argv[1])
window.show()
loop = QEventLoop()
QTimer.singleShot(1500, loop.quit)  # the idle work after the first paint (lint, the project's jobs) runs too
loop.exec()
print("MODULES " + json.dumps(sorted(sys.modules)))
window.tabs.ask_unsaved = lambda paths: "discard"
window.close()
"""

HEAVY = [
    "jwt",
    "moto",
    "cfnlint",
    "samtranslator",
    "app.commands",
    "app.local.cloud",
    "app.local.endpoint",
    "widgets.local_api_dock",  # made when its dock first shows
]


def test_opening_the_example_imports_no_heavy_library(example_project: Path, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "LAMBDA_STUDIO_CONFIG_DIR": str(tmp_path / "config"),
        "LAMBDA_STUDIO_CACHE": str(tmp_path / "cache"),
    }
    settings = tmp_path / "config"
    settings.mkdir()
    (settings / "settings.json").write_text(json.dumps({"prestart": False}), encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, str(example_project)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=150,
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("MODULES ")]
    assert proc.returncode == 0 and lines, proc.stdout[-2000:] + proc.stderr[-3000:]
    modules = set(json.loads(lines[-1][len("MODULES ") :]))
    assert "widgets.main_window" in modules  # the probe did open the window
    loaded = [name for name in HEAVY if name in modules]
    assert loaded == [], f"imported while opening the window: {loaded}"
