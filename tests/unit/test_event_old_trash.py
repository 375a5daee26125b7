"""A project's old in-project trash moves to the per-user trash once: nothing lost, clashes renamed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.events.old_trash import move_old_trash
from app.events.store import EventStore

GOOD = b'{\n  "orderId": 42\n}\n'


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LAMBDA_STUDIO_CONFIG_DIR", str(tmp_path / "user-config"))
    root = tmp_path / "project"
    root.mkdir()
    return root


def _old_entry(root: Path, trash_id: str, function_id: str | None, name: str, body: bytes) -> Path:
    """An entry as older versions wrote it: .lambda-studio/trash/events/<id>/{meta.json,<name>.json}."""
    entry = root / ".lambda-studio" / "trash" / "events" / trash_id
    entry.mkdir(parents=True)
    meta = {"function_id": function_id, "name": name, "deleted_at": "2026-01-01T00:00:00+00:00"}
    (entry / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    (entry / f"{name}.json").write_bytes(body)
    return entry


def test_old_entries_move_to_the_user_trash_and_the_folder_goes(project: Path) -> None:
    _old_entry(project, "20260101T000000000000Z-aaaaaa", "Fn", "first", GOOD)
    _old_entry(project, "20260102T000000000000Z-bbbbbb", None, "second", b"{}")
    (project / ".lambda-studio" / "jwks.json").write_text("{}", encoding="utf-8")  # not the trash's

    report = move_old_trash(project)

    assert (report.moved, report.renamed, report.failed) == (2, 0, [])
    assert not (project / ".lambda-studio" / "trash").exists()
    assert (project / ".lambda-studio" / "jwks.json").read_text(encoding="utf-8") == "{}"
    store = EventStore(project)
    trashed = {(t.function_id, t.name): t for t in store.list_trash()}
    assert sorted(trashed, key=str) == [("Fn", "first"), (None, "second")]
    assert store.restore(trashed[("Fn", "first")].trash_id).path.read_bytes() == GOOD


def test_name_clashes_keep_both_entries(project: Path) -> None:
    store = EventStore(project)
    store.save("Fn", "new", GOOD)
    newer = store.delete("Fn", "new")
    _old_entry(project, newer.trash_id, "Fn", "old", b'{"old": true}')  # same id as one already there

    report = move_old_trash(project)

    assert (report.moved, report.renamed) == (1, 1)
    names = sorted(t.name for t in store.list_trash())
    assert names == ["new", "old"]
    old = next(t for t in store.list_trash() if t.name == "old")
    assert old.path.read_bytes() == b'{"old": true}'
    assert not (project / ".lambda-studio").exists()  # it held only the trash


def test_unreadable_entries_are_moved_too_and_it_runs_once(project: Path) -> None:
    broken = project / ".lambda-studio" / "trash" / "events" / "not-an-entry"
    broken.mkdir(parents=True)
    (broken / "notes.txt").write_text("keep me", encoding="utf-8")

    assert move_old_trash(project).moved == 1
    user_trash = EventStore(project).trash_dir
    assert (user_trash / "not-an-entry" / "notes.txt").read_text(encoding="utf-8") == "keep me"
    second = move_old_trash(project)
    assert (second.moved, second.failed) == (0, [])


def test_a_link_in_place_of_the_old_trash_is_not_followed(project: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "events" / "x").mkdir(parents=True)
    (project / ".lambda-studio").mkdir()
    (project / ".lambda-studio" / "trash").symlink_to(elsewhere, target_is_directory=True)

    assert move_old_trash(project).moved == 0
    assert (elsewhere / "events" / "x").is_dir()
