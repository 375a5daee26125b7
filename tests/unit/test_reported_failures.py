"""Background failures reach the user through app.messages: settings saves and crash-recovery backups."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app import messages
from app.recovery import BackupStore
from app.settings import Settings


@pytest.fixture
def posted() -> Iterator[list[messages.Message]]:
    seen: list[messages.Message] = []
    stop = messages.QUEUE.listen(seen.append)
    seen.clear()  # what earlier tests left waiting is not ours
    yield seen
    stop()


def _blocked_folder(tmp_path: Path) -> Path:
    """A folder that cannot be created, even by root: its parent is a regular file."""
    (tmp_path / "a-file").write_text("")
    return tmp_path / "a-file" / "folder"


def test_a_settings_save_failure_is_posted_not_raised(tmp_path: Path, posted: list[messages.Message]) -> None:
    settings = Settings(_blocked_folder(tmp_path))
    settings.set("theme", "dark")  # saves at once: fails, and says so
    assert settings.get("theme") == "dark"  # the session keeps the value
    (message,) = posted
    assert message.level is messages.Level.ERROR
    assert message.text.startswith("Cannot save settings to ") and message.hint


def test_a_backup_failure_is_posted_once_until_a_save_works(
    tmp_path: Path, posted: list[messages.Message]
) -> None:
    store = BackupStore(_blocked_folder(tmp_path))
    for _ in range(3):  # the window's 30 s timer: one message, not one per tick
        assert store.save(tmp_path / "project", {"a.py": "x = 1"}) is False
    assert [m.text.split(":")[0] for m in posted] == ["Cannot back up unsaved edits to " + str(store.folder)]
    assert posted[0].level is messages.Level.ERROR and posted[0].hint
    store.folder = tmp_path / "backups"  # fixed
    assert store.save(tmp_path / "project", {"a.py": "x = 1"}) is True
    assert store.load(tmp_path / "project") == {"a.py": "x = 1"}
    (tmp_path / "again").mkdir()
    store.folder = _blocked_folder(tmp_path / "again")
    assert store.save(tmp_path / "project", {"a.py": "x = 2"}) is False
    assert len(posted) == 2  # broken again after a success: said again


def test_a_failing_log_sink_is_posted_once_and_never_raises(posted: list[messages.Message]) -> None:
    seen: list[str] = []
    broken = {"now": True}

    def sink(line: str) -> None:
        if broken["now"]:
            raise BrokenPipeError(32, "Broken pipe")
        seen.append(line)

    guarded = messages.guarded_sink(sink, "The log panel")
    for line in ("a", "b", "c"):
        guarded(line)  # the runner's reader thread goes on
    assert [m.text for m in posted] == [
        "The log panel stopped showing lines: BrokenPipeError: [Errno 32] Broken pipe"
    ]
    broken["now"] = False
    guarded("d")
    assert seen == ["d"] and len(posted) == 1
