"""Crash recovery: unsaved buffers written aside periodically and offered back on the next start."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

from app import messages
from app.fsutil import atomic_write


class BackupStore:
    """One JSON file per project holding {path: text} of the unsaved buffers (Qt-free).

    Saving runs from a timer every 30 s: a failure never raises (it would be lost in a Qt slot); it is
    posted once to app.messages, and again only after a save succeeded in between.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.problem: str | None = None

    def _file(self, project_root: str | Path) -> Path:
        digest = hashlib.sha256(str(Path(project_root).resolve()).encode()).hexdigest()[:16]
        return self.folder / f"{digest}.json"

    def save(self, project_root: str | Path, buffers: dict[str, str]) -> bool:
        """Write the buffers (atomically); an empty dict removes the backup. False when it failed."""
        if not buffers:
            return self.clear(project_root)
        target = self._file(project_root)
        data = {"root": str(Path(project_root).resolve()), "saved_at": time.time(), "buffers": buffers}
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(target, json.dumps(data))
        except OSError as exc:
            return self._failed(f"Cannot back up unsaved edits to {target.parent}: {exc.strerror or exc}")
        self.problem = None
        return True

    def _failed(self, problem: str) -> bool:
        if problem != self.problem:
            messages.error(problem, "save your files; crash recovery cannot keep them until this is fixed")
        self.problem = problem
        return False

    def load(self, project_root: str | Path) -> dict[str, str]:
        try:
            data = json.loads(self._file(project_root).read_text(encoding="utf-8"))
            buffers = data.get("buffers", {})
        except (OSError, ValueError, AttributeError):
            return {}
        return {str(k): str(v) for k, v in buffers.items()} if isinstance(buffers, dict) else {}

    def clear(self, project_root: str | Path) -> bool:
        try:
            self._file(project_root).unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            return self._failed(f"Cannot remove the old backup of unsaved edits: {exc.strerror or exc}")
        return True
