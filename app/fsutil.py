"""Writing files safely: one atomic_write used wherever a file the user (or we) care about is saved."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path


def _umask_mode() -> int:
    """The mode a plain new file gets here (0o666 minus the umask), read without changing it for long."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def atomic_write(
    path: str | os.PathLike[str], data: bytes | str | Iterable[bytes], *, encoding: str = "utf-8"
) -> Path:
    """Replaces `path` with `data` all at once: readers see the old file or the new one, never half.

    The data goes to a uniquely named temporary file in the same folder (so the rename stays on one
    file system), is flushed and fsynced, takes the old file's permission bits (an executable script
    stays executable) or, for a new file, the umask's usual mode, and is renamed over the target.
    On any error the temporary file is removed and the old file is left as it was; the error is raised.
    Symlinks are followed: the file they point at is replaced, the link stays. `data` may be an
    iterable of byte chunks (a download streamed to disk): an error while reading it leaves no file.
    """
    target = Path(os.path.realpath(path))
    if isinstance(data, str):
        data = data.encode(encoding)
    chunks = [data] if isinstance(data, bytes | bytearray | memoryview) else data
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        mode = _umask_mode()
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp_name, mode)
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    _fsync_dir(target.parent)
    return target


def _fsync_dir(folder: Path) -> None:
    """Makes the rename itself durable where the OS allows fsync on a directory (not on Windows)."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
