"""Saved events: names Windows cannot hold are refused, files get the user's umask, stale temp files go."""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.events.store import EventNameError, EventStore

GOOD = b'{"orderId": 42}\n'


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.mark.parametrize(
    "name",
    ["con", "CON", "Prn", "aux", "NUL", "nul.json", "COM1", "com9", "LPT1", "lpt9.json", "aux.txt", "Con.tar.gz",
     "COM0", "LPT¹", "name.", "name. ", "trailing "],
)  # fmt: skip
def test_names_windows_cannot_hold_are_refused(tmp_path: Path, name: str) -> None:
    store = EventStore(tmp_path)
    with pytest.raises(EventNameError) as info:
        store.save("Fn", name, GOOD)
    assert "Windows" in str(info.value) or "end in" in str(info.value)
    assert not (tmp_path / "events").exists() or not any((tmp_path / "events").rglob("*"))


@pytest.mark.parametrize("name", ["console", "com10", "lpt", "auxiliary", "nul-check", "my.con", "v1.2"])
def test_names_that_merely_look_alike_are_fine(tmp_path: Path, name: str) -> None:
    assert EventStore(tmp_path).save("Fn", name, GOOD).path.read_bytes() == GOOD


def test_a_function_folder_name_is_checked_too(tmp_path: Path) -> None:
    with pytest.raises(EventNameError, match="Windows"):
        EventStore(tmp_path).save("AUX", "ok", GOOD)


def test_new_files_get_the_users_umask_and_edits_keep_the_mode(tmp_path: Path, umask_022: None) -> None:
    store = EventStore(tmp_path)
    saved = store.save("Fn", "paid", GOOD)
    assert stat.S_IMODE(saved.path.stat().st_mode) == 0o644
    saved.path.chmod(0o640)
    store.save("Fn", "paid", b"[1]")
    assert stat.S_IMODE(saved.path.stat().st_mode) == 0o640
    copy = store.duplicate("Fn", "paid")
    assert stat.S_IMODE(copy.path.stat().st_mode) == 0o644


def _temp(folder: Path, name: str, age_s: float) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(b'{"half": "writ')
    when = time.time() - age_s
    os.utime(path, (when, when))
    return path


def test_temp_files_of_a_killed_save_are_removed_when_the_store_opens(tmp_path: Path) -> None:
    fn_dir = tmp_path / "events" / "Fn"
    stale = _temp(fn_dir, ".paid.json.k3j2h1.tmp", 3600)
    nested = _temp(tmp_path / "events" / "Child" / "Fn", ".x.json.a1b2c3.tmp", 3600)
    top = _temp(tmp_path / "events", ".event.json.zz99.tmp", 3600)
    fresh = _temp(fn_dir, ".other.json.q1w2e3.tmp", 1)  # a save running right now in another window
    keep = [_temp(fn_dir, ".gitkeep", 3600), _temp(fn_dir, "notes.tmp", 3600)]
    (fn_dir / "paid.json").write_bytes(GOOD)
    store = EventStore(tmp_path)
    assert not stale.exists() and not nested.exists() and not top.exists()
    assert fresh.exists() and all(p.exists() for p in keep)
    assert store.load("Fn", "paid") == {"orderId": 42}
