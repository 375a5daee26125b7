"""What a container may do and whose it is: Lambda's user, the project and owner labels, the sweep rules."""

from __future__ import annotations

import contextlib
import hashlib
import os
import socket
import stat
from collections.abc import Sequence
from pathlib import Path

LAMBDA_USER = "993:990"  # Lambda's sbx_user1051 (uid 993, gid 990)
PIDS_LIMIT = 1024  # Lambda's limit on processes and threads


def _start_time(pid: int) -> str:
    """The kernel's start time of a process ('' where /proc cannot say): a pid with another start
    time is another process."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""


def owner_id() -> str:
    """This app's owner label: host, pid and the pid's start time (so a reused pid is not taken for us)."""
    return f"{socket.gethostname()}:{os.getpid()}:{_start_time(os.getpid())}"


def project_label(project: str | os.PathLike[str] | None) -> str:
    """The project label of containers: a hash of the project folder's real path and its name, so two
    projects never share (and never sweep) each other's containers. None: the current folder."""
    path = os.path.realpath(os.fspath(project) if project is not None else os.getcwd())
    digest = hashlib.sha256(path.encode("utf-8", "surrogateescape")).hexdigest()[:12]
    return f"{digest}-{os.path.basename(path) or 'root'}"


def owner_is_dead(owner: str) -> bool:
    """Only what is provably dead: an owner on this host whose pid is gone or has another start time.
    Another host's owner, or one we cannot read, counts as alive."""
    parts = owner.split(":")
    if len(parts) == 3:
        host, pid, start = parts
    elif len(parts) == 2:  # the older "<host>:<pid>" label
        (host, pid), start = parts, ""
    else:
        return False
    if host != socket.gethostname() or not pid.isdigit():
        return False
    if not _pid_alive(int(pid)):
        return True
    now = _start_time(int(pid))
    return bool(start and now and now != start)


def open_to_lambda_user(sources: Sequence[Path], cache_dir: Path) -> None:
    """Lets uid 993 into the folders *we* made under the cache (dependencies, merged layers, debugpy):
    tempfile.mkdtemp leaves them 0700. The user's own folders are never changed."""
    root = os.path.realpath(cache_dir)
    for src in sources:
        real = os.path.realpath(src)
        if os.path.commonpath([root, real]) != root or not os.path.isdir(real):
            continue
        with contextlib.suppress(OSError):
            mode = os.stat(real).st_mode
            if (mode & 0o055) != 0o055:
                os.chmod(real, (mode | 0o055) & 0o7777)


def run_user(sources: Sequence[Path]) -> str:
    """Lambda's user when every mounted folder is readable by all (o+rx); else the owner of the code
    folder, since uid 993 could not read it (docs/sandbox.md says how to get Lambda's user)."""
    for src in sources:
        try:
            mode = os.stat(src).st_mode
        except OSError:
            continue
        if stat.S_ISDIR(mode) and (mode & 0o005) != 0o005:
            st = os.stat(sources[0])
            return f"{st.st_uid}:{st.st_gid}"
    return LAMBDA_USER


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
