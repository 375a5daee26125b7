"""The deploy cache is capped by size and age and pruned after every build."""

from __future__ import annotations

import os
import time
from pathlib import Path

from app.deploy.cache import MB, CacheLimits, prune_cache
from app.deploy.packaging import package_function
from app.project.model import FunctionSpec

DAY = 86_400


def _file(path: Path, size: int, age_s: float) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"z" * size)
    when = time.time() - age_s
    os.utime(path, (when, when))
    return path


def _deps(cache: Path, name: str, size: int, age_s: float, complete: bool = True) -> Path:
    folder = cache / "deps" / name
    _file(folder / "pkg" / "mod.py", size, age_s)
    if complete:
        _file(folder / ".complete", 10, age_s)
    when = time.time() - age_s
    os.utime(folder, (when, when))
    return folder


def test_a_build_prunes_packages_unused_for_longer_than_the_age_cap(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    old = _file(cache / "packages" / "old-function.zip", 60 * 1024, 40 * DAY)
    recent = _file(cache / "packages" / "other.zip", 1024, 2 * DAY)
    old_deps = _deps(cache, "py3.12-x86_64-aaaa", 1024, 45 * DAY)
    code = tmp_path / "code"
    code.mkdir()
    (code / "app.py").write_text("def handler(e, c):\n    return 1\n")
    fn = FunctionSpec("F", "f", "app.handler", "python3.12", None, code_dir=code)
    result = package_function(fn, cache_dir=cache)
    assert result.path.is_file() and recent.is_file()
    assert not old.exists() and not old_deps.exists()


def test_the_size_cap_removes_the_least_recently_used_first(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    a = _file(cache / "packages" / "a.zip", MB, 5 * DAY)
    b = _deps(cache, "py3.12-x86_64-bbbb", MB, 4 * DAY)
    c = _file(cache / "packages" / "c.zip", MB, 3 * DAY)
    d = _file(cache / "packages" / "d.zip", MB, 60)  # built a minute ago: a plan may still upload it
    report = prune_cache(cache, CacheLimits(max_bytes=int(1.5 * MB)))
    assert sorted(p.name for p in report.removed) == ["a.zip", "c.zip", "py3.12-x86_64-bbbb"]
    assert not a.exists() and not b.exists() and not c.exists() and d.exists()
    assert report.freed_bytes >= 3 * MB and report.kept_bytes == MB


def test_kept_and_recent_entries_survive_and_nothing_is_removed_under_the_caps(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    keep = _file(cache / "packages" / "keep.zip", 2 * MB, 50 * DAY)
    fine = _file(cache / "packages" / "fine.zip", MB, DAY)
    report = prune_cache(cache, CacheLimits(max_bytes=10 * MB), keep={keep})
    assert report.removed == [] and keep.exists() and fine.exists()


def test_leftovers_of_killed_builds_are_removed_once_stale(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    part = _file(cache / "packages" / "f.zipabc123.part", 100, 2 * 3600)
    fresh_part = _file(cache / "packages" / "g.zipdef456.part", 100, 10)  # a build running right now
    half = _deps(cache, "py3.12-x86_64-cccc.x1y2", 100, 2 * 3600, complete=False)
    log = _file(cache / "deps" / "py3.12-x86_64-cccc.x1y2.log", 100, 2 * 3600)
    prune_cache(cache)
    assert not part.exists() and not half.exists() and not log.exists() and fresh_part.exists()


def test_limits_from_settings_keep_defaults_for_nonsense() -> None:
    assert CacheLimits.from_settings(100, 7) == CacheLimits(100 * MB, 7.0)
    assert CacheLimits.from_settings("big", -1) == CacheLimits()
    assert CacheLimits.from_settings(None, True) == CacheLimits()
    assert CacheLimits().max_bytes == 2048 * MB and CacheLimits().max_age_days == 30
