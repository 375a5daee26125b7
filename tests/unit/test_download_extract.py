"""`remote download` extracts into a folder beside the target and moves it into place only when complete."""

from __future__ import annotations

import io
import struct
import warnings
import zipfile
from pathlib import Path

import pytest
import yaml

from app.deploy.download import UnsafeArchive, build_project, safe_extract
from app.deploy.errors import DeployError

CONFIG = {"FunctionName": "my-fn", "Handler": "app.handler", "Runtime": "python3.12"}


def _zip(entries: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for name, data in entries:
            zf.writestr(name, data)
    return buf.getvalue()


def _lying_zip(real: bytes, declared: int) -> bytes:
    """A stored entry whose headers claim `declared` bytes while it holds `real`."""
    raw = bytearray(_zip([("ok.py", b"x = 1\n"), ("app.py", real)]))
    for sig, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):  # uncompressed size fields
        start = 0
        while (at := raw.find(sig, start)) >= 0:
            name_len = struct.unpack_from("<H", raw, at + (26 if sig == b"PK\x03\x04" else 28))[0]
            name_at = at + (30 if sig == b"PK\x03\x04" else 46)
            if bytes(raw[name_at : name_at + name_len]) == b"app.py":
                struct.pack_into("<I", raw, at + offset, declared)
            start = at + 4
    return bytes(raw)


def _leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir())


@pytest.mark.parametrize(
    "entries,says",
    [
        ([("x", b"file"), ("x/y", b"inner")], "'x' to be a folder"),
        ([("x/y", b"inner"), ("x", b"file")], "is a file, but 'x/y' needs it to be a folder"),
        ([("a.py", b"1"), ("a.py", b"2")], "appears twice"),
        ([("a.py", b"1"), ("./", b""), (".", b"x")], "has no file name"),
    ],
)
def test_clashing_entries_give_a_clear_error_and_leave_nothing(
    tmp_path: Path, entries: list[tuple[str, bytes]], says: str
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name we write on purpose
        data = _zip(entries)
    dest = tmp_path / "project"
    with pytest.raises(UnsafeArchive, match=says):
        build_project(data, CONFIG, dest)
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("declared", [3, 5000])
def test_an_entry_lying_about_its_size_leaves_nothing(tmp_path: Path, declared: int) -> None:
    data = _lying_zip(b"def handler(e, c):\n    return 1\n" * 10, declared)
    dest = tmp_path / "project"
    with pytest.raises(DeployError, match="app.py") as info:
        build_project(data, CONFIG, dest)
    assert "Traceback" not in info.value.message
    assert _leftovers(tmp_path) == []


def test_a_good_archive_becomes_the_project_in_one_move(tmp_path: Path) -> None:
    data = _zip([("app.py", b"def handler(e, c):\n    return 1\n"), ("pkg/mod.py", b"X = 1\n")])
    dest = tmp_path / "project"
    dest.mkdir()  # an empty folder chosen in a dialog is fine
    build_project(data, CONFIG, dest)
    assert _leftovers(tmp_path) == ["project"]
    assert (dest / "src" / "my-fn" / "pkg" / "mod.py").read_text() == "X = 1\n"
    template = yaml.safe_load((dest / "template.yaml").read_text())
    assert template["Resources"]["MyFn"]["Properties"]["CodeUri"] == "src/my-fn/"


def test_a_taken_folder_is_refused_and_kept(tmp_path: Path) -> None:
    dest = tmp_path / "project"
    dest.mkdir()
    (dest / "mine.txt").write_text("keep me")
    with pytest.raises(DeployError, match="not empty"):
        build_project(_zip([("app.py", b"")]), CONFIG, dest)
    assert (dest / "mine.txt").read_text() == "keep me" and _leftovers(tmp_path) == ["project"]


def test_safe_extract_is_all_or_nothing(tmp_path: Path) -> None:
    with pytest.raises(UnsafeArchive):
        safe_extract(_zip([("ok.py", b"1"), ("x", b"f"), ("x/y", b"g")]), tmp_path / "out")
    assert _leftovers(tmp_path) == []
    assert safe_extract(_zip([("ok.py", b"1")]), tmp_path / "out") == ["ok.py"]
    assert _leftovers(tmp_path) == ["out"]


def test_a_folder_that_cannot_be_written_is_a_message(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(DeployError, match="Could not write the project") as info:
        build_project(_zip([("app.py", b"")]), CONFIG, blocker / "project")  # its parent is a file
    assert "nothing was left behind" in info.value.hint
