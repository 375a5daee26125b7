"""Data shipped with Lambda Studio: event templates, project blueprints, icons, style sheets."""

from __future__ import annotations

from pathlib import Path

RESOURCES_DIR = Path(__file__).resolve().parent
