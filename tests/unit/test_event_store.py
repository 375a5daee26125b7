"""Saved events on disk: atomic writes (also under a killed process), bad JSON, hostile names, trash."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.events.catalog import shipped_catalog
from app.events.store import (
    EventExistsError,
    EventNameError,
    EventNotFoundError,
    EventStore,
    InvalidEventJSONError,
    atomic_write,
    load_saved_event,
    parse_event_json,
    validate_name,
)
from tests.conftest import REPO

GOOD = b'{\n  "orderId": 42\n}\n'


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> EventStore:
    monkeypatch.setenv("LAMBDA_STUDIO_CONFIG_DIR", str(tmp_path / "user-config"))
    (tmp_path / "project").mkdir()
    return EventStore(tmp_path / "project")


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


# ----- atomic writes -----


def test_exception_between_write_and_replace_keeps_the_old_file(store: EventStore) -> None:
    saved = store.save("Fn", "paid", GOOD)

    def chunks() -> Iterator[bytes]:
        yield b'{"orderId": '
        raise RuntimeError("disk pulled out mid-write")

    with pytest.raises(RuntimeError):
        atomic_write(saved.path, chunks())
    assert saved.path.read_bytes() == GOOD
    assert _leftovers(saved.path.parent) == []


def test_killed_process_mid_write_leaves_the_old_file_intact(store: EventStore) -> None:
    saved = store.save("Fn", "paid", GOOD)
    script = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        from app.events.store import atomic_write

        def chunks():
            yield b'{{"half": "written'
            print("writing", flush=True)
            time.sleep(60)
            yield b'"}}'

        atomic_write(Path({str(saved.path)!r}), chunks())
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "writing"
        # The new content is gathered before any file is touched (app/fsutil.atomic_write writes it
        # to a temporary file and renames it): a kill now leaves our file as it was.
        assert saved.path.read_bytes() == GOOD
        proc.send_signal(signal.SIGKILL if hasattr(signal, "SIGKILL") else signal.SIGTERM)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert saved.path.read_bytes() == GOOD and _leftovers(saved.path.parent) == []
    assert store.load("Fn", "paid") == {"orderId": 42}
    # The killed writer's temp file is not mistaken for an event.
    assert [e.name for e in store.list_events("Fn")] == ["paid"]


def test_writes_replace_in_one_step(store: EventStore) -> None:
    store.save("Fn", "e", GOOD)
    store.save("Fn", "e", b"[1, 2]")
    assert store.load_bytes("Fn", "e") == b"[1, 2]"
    assert _leftovers(store.folder("Fn")) == []


# ----- invalid JSON -----


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        (b'{\n  "a": 1,\n  "b": \n}', 4, 1),
        (b'{"a": 1,}', 1, 9),
        (b"", 1, 1),
        (b'{\n "a": "\xff"\n}', 2, 8),
    ],
)
def test_invalid_json_is_refused_with_line_and_column(
    store: EventStore, text: bytes, line: int, column: int
) -> None:
    saved = store.save("Fn", "e", GOOD)
    with pytest.raises(InvalidEventJSONError) as info:
        store.save("Fn", "e", text)
    assert (info.value.line, info.value.column) == (line, column)
    assert f"{line}:{column}" in str(info.value)
    assert saved.path.read_bytes() == GOOD  # never written over a good file
    assert _leftovers(saved.path.parent) == []


def test_text_is_kept_byte_for_byte_and_trees_are_formatted(store: EventStore) -> None:
    odd = '{"b":1,   "a":[ ]}\n'
    assert store.save("Fn", "odd", odd).path.read_text() == odd
    tree = store.save("Fn", "tree", {"z": "ü"})
    assert tree.path.read_text(encoding="utf-8") == '{\n  "z": "ü"\n}\n'
    assert parse_event_json("\ufeff{}") == {}


def test_save_refuses_to_overwrite_when_asked(store: EventStore) -> None:
    store.save("Fn", "e", GOOD)
    with pytest.raises(EventExistsError):
        store.save("Fn", "e", b"{}", overwrite=False)
    assert store.load_bytes("Fn", "e") == GOOD


# ----- names -----

HOSTILE = ["", "   ", "..", "../escape", "a/b", "a\\b", "/abs", ".hidden", "x\x00y", "a:b", "trail ", "..\\x"]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_event_names_are_refused(store: EventStore, name: str) -> None:
    with pytest.raises(EventNameError):
        store.save("Fn", name, GOOD)
    with pytest.raises(EventNameError):
        store.load_bytes("Fn", name)
    assert not (store.root.parent / "escape.json").exists()


@pytest.mark.parametrize("function_id", ["", "..", "../..", "a/../b", "x\\y", ".git"])
def test_hostile_function_ids_are_refused(store: EventStore, function_id: str) -> None:
    with pytest.raises(EventNameError):
        store.save(function_id, "e", GOOD)


def test_names_may_carry_the_json_suffix(store: EventStore) -> None:
    assert validate_name("get-hello.json") == "get-hello"
    store.save("Fn", "get-hello.json", GOOD)
    assert [e.name for e in store.list_events("Fn")] == ["get-hello"]
    assert store.load("Fn", "get-hello") == {"orderId": 42}


def test_nested_function_ids_get_a_folder_each(store: EventStore) -> None:
    saved = store.save("Child/Fn", "e", GOOD)
    assert saved.path == store.root / "events" / "Child" / "Fn" / "e.json"
    assert [(e.function_id, e.name) for e in store.list_all()] == [("Child/Fn", "e")]


# ----- rename, duplicate, delete and restore -----


def test_rename(store: EventStore) -> None:
    store.save("Fn", "old", GOOD)
    store.save("Fn", "taken", b"{}")
    with pytest.raises(EventExistsError):
        store.rename("Fn", "old", "taken")
    renamed = store.rename("Fn", "old", "new")
    assert renamed.path.read_bytes() == GOOD
    assert [e.name for e in store.list_events("Fn")] == ["new", "taken"]
    with pytest.raises(EventNotFoundError, match="saved: new, taken"):
        store.rename("Fn", "old", "again")
    with pytest.raises(EventNameError):
        store.rename("Fn", "new", "../out")


def test_duplicate(store: EventStore) -> None:
    store.save("Fn", "e", GOOD)
    assert store.duplicate("Fn", "e").name == "e-copy"
    assert store.duplicate("Fn", "e").name == "e-copy-2"
    assert store.duplicate("Fn", "e", "mine").path.read_bytes() == GOOD
    with pytest.raises(EventExistsError):
        store.duplicate("Fn", "e", "mine")


def test_delete_goes_to_the_trash_and_restores(store: EventStore) -> None:
    store.save("Fn", "e", GOOD)
    trashed = store.delete("Fn", "e")
    assert not store.exists("Fn", "e")
    assert not trashed.path.is_relative_to(store.root)  # outside the project: not in the user's repository
    assert trashed.path.is_relative_to(store.root.parent / "user-config")
    assert [(t.function_id, t.name) for t in store.list_trash()] == [("Fn", "e")]
    restored = store.restore(trashed.trash_id)
    assert restored.path.read_bytes() == GOOD
    assert store.list_trash() == []


def test_restore_does_not_clobber_a_new_event_of_the_same_name(store: EventStore) -> None:
    store.save(None, "event", GOOD)
    trashed = store.delete(None, "event")
    store.save(None, "event", b"{}")
    with pytest.raises(EventExistsError):
        store.restore(trashed.trash_id)
    assert store.restore(trashed.trash_id, new_name="event-restored").path.read_bytes() == GOOD
    assert store.load_bytes(None, "event") == b"{}"


def test_restore_unknown_and_hostile_trash_ids(store: EventStore) -> None:
    with pytest.raises(EventNotFoundError):
        store.restore("20260101T000000000000Z-abcdef")
    with pytest.raises(EventNameError):
        store.restore("../../events")


def test_purge_trash(store: EventStore) -> None:
    store.save("Fn", "a", GOOD)
    store.save("Fn", "b", GOOD)
    store.delete("Fn", "a")
    store.delete("Fn", "b")
    assert store.purge_trash() == 2
    assert store.list_trash() == []


# ----- import, export, templates -----


def test_import_and_export(store: EventStore, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    src = outside / "from-console.json"
    src.write_bytes(GOOD)
    imported = store.import_file("Fn", src)
    assert (imported.name, imported.path.read_bytes()) == ("from-console", GOOD)
    with pytest.raises(EventExistsError):
        store.import_file("Fn", src)
    exported = store.export_file("Fn", "from-console", outside / "copy.json")
    assert exported.read_bytes() == GOOD
    assert store.export_file("Fn", "from-console", outside).name == "from-console.json"
    bad = outside / "bad.json"
    bad.write_text('{"a": }')
    with pytest.raises(InvalidEventJSONError, match=r"bad.json:1:7"):
        store.import_file("Fn", bad)
    with pytest.raises(EventNotFoundError):
        store.export_file("Fn", "missing", outside / "x.json")


def test_create_from_template(store: EventStore) -> None:
    template = shipped_catalog().get("sqs", "receive-message")
    saved = store.create_from_template("OrdersFunction", "paid", template, {"body": "paid!"})
    assert json.loads(saved.path.read_text())["Records"][0]["body"] == "paid!"
    with pytest.raises(EventExistsError):
        store.create_from_template("OrdersFunction", "paid", template)


# ----- the example project and invoke's entry point -----


def test_example_project_events(example_project: Path) -> None:
    store = EventStore(example_project)
    listed = [(e.function_id, e.name) for e in store.list_all()]
    assert listed == [(None, "event"), ("HelloFunction", "get-hello"), ("OrdersFunction", "two-orders")]
    assert store.function_ids() == ["HelloFunction", "OrdersFunction"]
    assert json.loads(load_saved_event(example_project, "HelloFunction", "get-hello"))["version"] == "2.0"
    # A function falls back to the project-wide events (SAM's events/event.json).
    assert (
        load_saved_event(example_project, "HelloFunction", "event")
        == (example_project / "events" / "event.json").read_bytes()
    )
    with pytest.raises(EventNotFoundError, match="saved: get-hello"):
        load_saved_event(example_project, "HelloFunction", "nope")


def test_no_write_ever_leaves_the_project(store: EventStore, tmp_path: Path) -> None:
    before = set(os.listdir(tmp_path.parent))
    for name in HOSTILE:
        with pytest.raises(EventNameError):
            store.save("Fn", name, GOOD)
    assert set(os.listdir(tmp_path.parent)) == before
