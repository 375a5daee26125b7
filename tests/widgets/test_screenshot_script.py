"""scripts/screenshot.py, which takes the docs' screenshots, still runs on the current window: the plain
shot after an invoke and the Local cloud shot (it drives the dock as its buttons do)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("extra", [[], ["--local-cloud", "Tables"]], ids=["invoke", "local-cloud"])
def test_the_screenshot_script_writes_a_screen_sized_picture(tmp_path: Path, extra: list[str]) -> None:
    out = tmp_path / "shot.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "screenshot.py"), str(ROOT / "examples" / "hello-sam"), str(out),
         "OrdersFunction", "light", "--screen", "1280x720", *extra],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert "the local cloud did not start" not in done.stderr
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1280, 720)
