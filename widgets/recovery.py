"""Crash recovery: unsaved buffers written aside periodically and offered back on the next start."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

from app.fsutil import atomic_write


class BackupStore:
    """One JSON file per project holding {path: text} of the unsaved buffers (Qt-free)."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def _file(self, project_root: str | Path) -> Path:
        digest = hashlib.sha256(str(Path(project_root).resolve()).encode()).hexdigest()[:16]
        return self.folder / f"{digest}.json"

    def save(self, project_root: str | Path, buffers: dict[str, str]) -> None:
        """Write the buffers (atomically); an empty dict removes the backup."""
        if not buffers:
            self.clear(project_root)
            return
        target = self._file(project_root)
        target.parent.mkdir(parents=True, exist_ok=True)
        data = {"root": str(Path(project_root).resolve()), "saved_at": time.time(), "buffers": buffers}
        atomic_write(target, json.dumps(data))

    def load(self, project_root: str | Path) -> dict[str, str]:
        try:
            data = json.loads(self._file(project_root).read_text(encoding="utf-8"))
            buffers = data.get("buffers", {})
        except (OSError, ValueError, AttributeError):
            return {}
        return {str(k): str(v) for k, v in buffers.items()} if isinstance(buffers, dict) else {}

    def clear(self, project_root: str | Path) -> None:
        try:
            self._file(project_root).unlink()
        except FileNotFoundError:
            pass
