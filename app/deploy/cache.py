"""The deploy cache (built zips, installed requirements) kept under a size and an age cap."""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

MB = 1024 * 1024
DAY = 86_400.0
PARTIAL_SUFFIXES = (".part", ".log")  # a build killed half-way leaves these behind


def deploy_cache_dir() -> Path:
    """Deploy packages live in the one cache folder (runner.cache), so $LAMBDA_STUDIO_CACHE moves them too;
    the CLI and the window share it."""
    from runner.cache import default_cache_dir

    return default_cache_dir() / "deploy"


@dataclass(frozen=True)
class CacheLimits:
    """How much the deploy cache may hold; settings deploy_cache_max_mb / deploy_cache_max_age_days."""

    max_bytes: int = 2048 * MB
    max_age_days: float = 30.0
    # Entries younger than this are never evicted for size: a plan made minutes ago still finds its zip.
    protect_seconds: float = 3600.0

    @classmethod
    def from_settings(cls, max_mb: object, max_age_days: object) -> CacheLimits:
        """Limits from user settings; a missing or nonsensical value keeps the default."""
        default = cls()
        mb = (
            max_mb
            if isinstance(max_mb, int | float) and not isinstance(max_mb, bool) and max_mb >= 0
            else None
        )
        age = (
            max_age_days
            if isinstance(max_age_days, int | float)
            and not isinstance(max_age_days, bool)
            and max_age_days > 0
            else None
        )
        return cls(
            int(mb * MB) if mb is not None else default.max_bytes,
            float(age) if age is not None else default.max_age_days,
        )


@dataclass
class PruneReport:
    """What a prune removed (paths) and how many bytes that freed; `kept_bytes` is what remains."""

    removed: list[Path] = field(default_factory=list)
    freed_bytes: int = 0
    kept_bytes: int = 0


@dataclass(frozen=True)
class _Entry:
    path: Path
    size: int
    used: float  # when it was last built or reused
    partial: bool = False  # left by a build that was killed or failed


def _tree_size(folder: Path) -> int:
    total = 0
    for dirpath, _dirs, files in os.walk(folder):
        for name in files:
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_size
            except OSError:
                pass
    return total


def _entries(cache_dir: Path) -> list[_Entry]:
    out: list[_Entry] = []
    packages = cache_dir / "packages"
    if packages.is_dir():
        for p in packages.iterdir():
            try:
                st = p.lstat()
            except OSError:
                continue
            if p.is_file() and not p.is_symlink():
                out.append(_Entry(p, st.st_size, st.st_mtime, p.name.endswith(PARTIAL_SUFFIXES)))
    deps = cache_dir / "deps"
    if deps.is_dir():
        for d in deps.iterdir():
            try:
                st = d.lstat()
            except OSError:
                continue
            if not d.is_dir() or d.is_symlink():
                if d.name.endswith(PARTIAL_SUFFIXES):
                    out.append(_Entry(d, st.st_size, st.st_mtime, True))
                continue
            marker = d / ".complete"
            complete = marker.is_file()
            used = marker.stat().st_mtime if complete else st.st_mtime
            out.append(_Entry(d, _tree_size(d), used, not complete))
    return out


def _remove(path: Path) -> bool:
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
        return True
    except FileNotFoundError:
        return True
    except OSError:
        return False  # in use or not ours to delete: try again next time


def touch(path: Path) -> None:
    """Mark a cache entry as just used, so that pruning keeps what is still in use."""
    try:
        os.utime(path)
    except OSError:
        pass


def prune_cache(
    cache_dir: Path,
    limits: CacheLimits | None = None,
    *,
    keep: set[Path] | None = None,
    now: float | None = None,
) -> PruneReport:
    """Remove entries unused for max_age_days, then the least recently used until under max_bytes.

    `keep` (the package just built) is never removed; neither is anything used in the last
    `protect_seconds` when the cap is about size. Safe to call after every build.
    """
    limits = limits or CacheLimits()
    now = time.time() if now is None else now
    keep = {p.resolve() for p in keep or set()}
    report = PruneReport()
    entries = sorted(_entries(cache_dir), key=lambda e: e.used)
    remaining: list[_Entry] = []
    for entry in entries:
        too_old = now - entry.used > limits.max_age_days * DAY
        stale_partial = entry.partial and now - entry.used > limits.protect_seconds
        if entry.path.resolve() not in keep and (too_old or stale_partial) and _remove(entry.path):
            report.removed.append(entry.path)
            report.freed_bytes += entry.size
        else:
            remaining.append(entry)
    total = sum(e.size for e in remaining)
    for entry in remaining:  # least recently used first
        if total <= limits.max_bytes:
            break
        if entry.path.resolve() in keep or now - entry.used < limits.protect_seconds:
            continue
        if _remove(entry.path):
            report.removed.append(entry.path)
            report.freed_bytes += entry.size
            total -= entry.size
    report.kept_bytes = total
    return report
