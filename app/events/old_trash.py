"""Moves deleted events from a project's old in-project trash (`.lambda-studio/trash/`) to the per-user trash."""

from __future__ import annotations

import secrets
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from app.events.store import TRASH_DIR, default_trash_dir


@dataclass
class TrashMove:
    """What moving a project's old trash did: entries moved, entries renamed on a clash, what failed."""

    moved: int = 0
    renamed: int = 0
    failed: list[str] = field(default_factory=list)


def _free_name(folder: Path, name: str) -> str:
    """`name`, or `name-<random>` when the per-user trash already holds an entry of that name."""
    candidate = name
    while (folder / candidate).exists():
        candidate = f"{name}-{secrets.token_hex(3)}"
    return candidate


def _remove_if_empty(folder: Path, stop: Path) -> None:
    """Removes `folder` and its parents up to (not including) `stop` while they are empty."""
    current = folder
    while current != stop and current.is_relative_to(stop):
        try:
            current.rmdir()  # only ever succeeds on an empty folder: nothing can be lost here
        except OSError:
            return
        current = current.parent


def move_old_trash(project_root: Path | str, trash_dir: Path | None = None) -> TrashMove:
    """Blocks (file moves): every entry of PROJECT/.lambda-studio/trash/ goes to the per-user trash, kept
    whole (an entry the store cannot read is moved too). An entry whose name the per-user trash already
    holds gets a new name. The emptied old folders are removed; an entry that cannot be moved stays where
    it was, named in ``failed``. Running it again finds nothing to do."""
    root = Path(project_root)
    old_root = root / TRASH_DIR.parent  # .lambda-studio/trash (events/ was its only kind)
    report = TrashMove()
    if not old_root.is_dir() or old_root.is_symlink():
        return report
    new_events = trash_dir if trash_dir is not None else default_trash_dir(root)
    new_root = new_events.parent
    for kind in sorted(old_root.iterdir()):
        if not kind.is_dir() or kind.is_symlink():
            continue  # a stray file (or link) in the old trash is left alone, not followed
        target = new_events if kind.name == TRASH_DIR.name else new_root / kind.name
        for entry in sorted(kind.iterdir()):
            name = _free_name(target, entry.name)
            try:
                target.mkdir(parents=True, exist_ok=True)
                shutil.move(str(entry), str(target / name))  # the user's config may be on another disk
            except OSError as exc:
                report.failed.append(f"{entry}: {exc}")
                continue
            report.moved += 1
            report.renamed += name != entry.name
        _remove_if_empty(kind, root)
    _remove_if_empty(old_root, root)
    return report
