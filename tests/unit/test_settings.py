"""app.settings: defaults, persistence, change callbacks, recent projects, per-project state."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from app.settings import Settings


def test_defaults_set_and_persist(tmp_path: Path):
    s = Settings(tmp_path)
    assert s.get("backend") == "auto" and s.get("font_size") == 11
    changed = []
    unsubscribe = s.on_changed(changed.append)
    s.set("theme", "dark")
    s.set("theme", "dark")  # no change, no callback
    assert changed == ["theme"]
    unsubscribe()
    s.set("font_size", 14)
    assert changed == ["theme"]
    again = Settings(tmp_path)
    assert again.get("theme") == "dark" and again.get("font_size") == 14


def test_damaged_file_falls_back_to_defaults(tmp_path: Path):
    (tmp_path / "settings.json").write_text("{not json")
    s = Settings(tmp_path)
    assert s.get("backend") == "auto"
    assert s.problem and "defaults" in s.problem


def test_recent_projects_and_project_state(tmp_path: Path):
    s = Settings(tmp_path / "cfg")
    for name in ("a", "b", "a"):
        (tmp_path / name).mkdir(exist_ok=True)
        s.add_recent_project(tmp_path / name)
    assert s.recent_projects() == [str(tmp_path / "a"), str(tmp_path / "b")]
    s.set_project_state(tmp_path / "a", {"open_tabs": ["x.py"], "breakpoints": {"x.py": [3]}})
    state = Settings(tmp_path / "cfg").project_state(tmp_path / "a")
    assert state["open_tabs"] == ["x.py"] and state["breakpoints"] == {"x.py": [3]}
    assert s.project_state(tmp_path / "b") == {}


def test_settings_module_is_qt_free():
    code = "import app.settings, sys; assert 'PySide6' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2])
