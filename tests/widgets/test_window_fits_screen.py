"""The window fits the screen: 1280×720 (a laptop) and 1024×768, after long messages with every panel open.

Each size runs tests/widgets/screen_probe.py in its own process, on an offscreen platform with exactly
that one screen (a QApplication's screens are fixed when it starts).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.gui, pytest.mark.timeout(300)]


def _probe(width: int, height: int, project: Path, tmp_path: Path) -> dict:
    env = {**os.environ, "LAMBDA_STUDIO_CACHE": str(tmp_path / "cache")}
    proc = subprocess.run(
        [sys.executable, "-m", "tests.widgets.screen_probe", str(width), str(height), str(project)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("PROBE ")]
    assert proc.returncode == 0 and lines, proc.stdout[-2000:] + proc.stderr[-3000:]
    return json.loads(lines[-1][len("PROBE ") :])


@pytest.mark.parametrize(("width", "height"), [(1280, 720), (1024, 768)])
def test_window_fits_the_screen_after_long_text_with_every_panel_open(
    example_project: Path, tmp_path: Path, width: int, height: int
) -> None:
    out = _probe(width, height, example_project, tmp_path)
    assert out["screen"] == [width, height]
    assert len(out["failure"]) > 80, out["failure"]  # a long message reached the window
    assert out["after_failure_width"] <= width
    assert out["window"][0] <= width and out["window"][1] <= height, out
    assert out["minimum"][0] <= width and out["minimum"][1] <= height, out
    assert out["status_width"] <= width
    assert out["event_editor"][0] and out["event_editor"][1] >= 200, out["event_editor"]  # beside the code
    for name, dock in out["docks"].items():
        assert dock["visible"] and dock["inside"] and dock["shown_or_tabbed"], (name, dock)
        assert dock["width"] >= 60, (name, dock)  # shrunk, but still usable
