"""Which Python interpreter runs functions locally (ours, or one on PATH when we are a frozen bundle)."""

from __future__ import annotations

import os
import shutil
import sys


def default_python() -> str:
    """The interpreter that runs functions: ours; in a frozen bundle (whose executable is not a Python),
    $LAMBDA_STUDIO_PYTHON or the first python3/python on PATH."""
    if not getattr(sys, "frozen", False):
        return sys.executable
    override = os.environ.get("LAMBDA_STUDIO_PYTHON")
    if override:
        return override
    for name in ("python3", "python"):
        found = shutil.which(name)
        if found:
            return found
    return "python3"  # spawning it fails with a clear "not found" error in the log
