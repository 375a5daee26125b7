"""app.fsutil.atomic_write: all or nothing, unique temp in the same folder, mode kept, nothing left behind."""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from app import fsutil
from app.fsutil import atomic_write

posix_only = pytest.mark.skipif(os.name != "posix", reason="permission bits are POSIX")


def test_writes_text_and_bytes_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "a.txt"
    atomic_write(target, "héllo\n")
    assert target.read_bytes() == "héllo\n".encode()
    atomic_write(target, b"\x00\x01")
    assert target.read_bytes() == b"\x00\x01"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]


@posix_only
def test_keeps_the_executable_bit_of_an_existing_file(tmp_path: Path) -> None:
    script = tmp_path / "run.sh"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o750)
    atomic_write(script, "#!/bin/sh\necho hi\n")
    assert stat.S_IMODE(script.stat().st_mode) == 0o750


@posix_only
def test_a_new_file_gets_the_umask_mode(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        atomic_write(tmp_path / "new.txt", "x")
    finally:
        os.umask(old)
    # mkstemp alone would give 0o600; a plain open() under umask 027 gives 0o640.
    assert stat.S_IMODE((tmp_path / "new.txt").stat().st_mode) == 0o640


def test_error_keeps_the_old_file_and_removes_the_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "keep.txt"
    target.write_text("old")

    def failing_replace(src: str, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(fsutil.os, "replace", failing_replace)
    with pytest.raises(OSError, match="No space left"):
        atomic_write(target, "new")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]


def test_data_is_fsynced_before_the_rename(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(fsutil.os, "fsync", lambda fd: (events.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(fsutil.os, "replace", lambda a, b: (events.append("replace"), real_replace(a, b))[1])
    atomic_write(tmp_path / "f", "data")
    assert events[:2] == ["fsync", "replace"]


def test_temp_names_are_unique_and_in_the_same_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []
    real_replace = os.replace

    def spy(src: str, dst: object) -> None:
        seen.append(src)
        real_replace(src, dst)

    monkeypatch.setattr(fsutil.os, "replace", spy)
    target = tmp_path / "same.txt"
    threads = [threading.Thread(target=atomic_write, args=(target, f"writer {i}")) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(set(seen)) == 8 and all(Path(s).parent == tmp_path for s in seen)
    assert target.read_text().startswith("writer ")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["same.txt"]


@posix_only
def test_a_symlink_stays_a_link_to_the_new_content(tmp_path: Path) -> None:
    real = tmp_path / "real.txt"
    real.write_text("old")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    atomic_write(link, "new")
    assert link.is_symlink() and real.read_text() == "new"


def test_chunks_are_streamed_and_a_failing_source_leaves_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "download.bin"
    atomic_write(target, iter([b"ab", bytearray(b"cd"), b"ef"]))
    assert target.read_bytes() == b"abcdef"

    def broken() -> Iterator[bytes]:
        yield b"partial"
        raise ConnectionError("the connection dropped")

    with pytest.raises(ConnectionError):
        atomic_write(target, broken())
    assert target.read_bytes() == b"abcdef"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["download.bin"]
    atomic_write(target, bytearray(b"whole"))  # a bytearray is one chunk, not a list of ints
    assert target.read_bytes() == b"whole"
