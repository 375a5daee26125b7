"""Where Lambda Studio keeps what it builds once and reuses (installed requirements, debugpy, images)."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def default_cache_dir() -> Path:
    """$LAMBDA_STUDIO_CACHE, else the platform's user cache directory (stdlib only)."""
    env = os.environ.get("LAMBDA_STUDIO_CACHE")
    if env:
        return Path(env)
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
        return base / "lambda-studio" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "lambda-studio"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "lambda-studio"
