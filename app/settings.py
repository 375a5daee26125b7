"""User settings (Qt-free): one JSON file in the platform config directory, with change callbacks.

Also keeps per-project state (open tabs, breakpoints, layout, last function and event) next to it,
so a project folder is never written to just because it was opened.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app import messages
from app.fsutil import atomic_write

APP_NAME = "lambda-studio"
CONFIG_ENV = "LAMBDA_STUDIO_CONFIG_DIR"  # tests and the screenshot point this at a scratch folder
MAX_RECENT = 10

DEFAULTS: dict[str, Any] = {
    "backend": "auto",
    "images": {},  # runtime -> image, e.g. {"python3.12": "public.ecr.aws/lambda/python:3.12"}
    "pythons": {},  # runtime -> the process backend's interpreter for it, e.g. {"python3.12": "/usr/bin/python3.12"}
    "aws_profile": "",
    "local_credentials": False,  # give local invokes the profile's credentials (else dummy ones)
    "aws_region": "us-east-1",
    "aws_endpoint_url": "",  # LocalStack or a test endpoint for every AWS call; "" means AWS itself
    "deploy_allow_secrets": False,  # package credential-looking files instead of refusing them
    "deploy_cache_max_mb": 2048,  # the deploy cache (zips, installed requirements) is pruned to this
    "deploy_cache_max_age_days": 30,  # and entries unused for this long are removed
    "theme": "light",
    "font_size": 11,
    "recent_projects": [],
    "window": {},
}


def config_dir() -> Path:
    override = os.environ.get(CONFIG_ENV)
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, text)


class Settings:
    """get/set with defaults; every set is saved at once and announced to `on_changed` callbacks."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = Path(folder) if folder else config_dir()
        self.path = self.folder / "settings.json"
        self.problem: str | None = None
        self._values: dict[str, Any] = {}
        self._callbacks: list[Callable[[str], None]] = []
        self.load()

    def load(self) -> None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            self._values = data if isinstance(data, dict) else {}
        except FileNotFoundError:
            self._values = {}
        except (OSError, ValueError) as exc:
            # A damaged settings file must not stop the app: start from defaults and say so.
            self._values = {}
            self.problem = f"Settings file {self.path} could not be read ({exc}); using defaults."

    def save(self) -> None:
        try:
            _atomic_write(self.path, json.dumps(self._values, indent=2, sort_keys=True) + "\n")
        except OSError as exc:
            # Called from GUI slots and CLI code alike: never raise, tell the user through the queue.
            self.problem = f"Cannot save settings to {self.path}: {exc.strerror or exc}"
            messages.error(self.problem, "check that the folder is writable and the disk is not full")

    def get(self, key: str) -> Any:
        if key in self._values:
            return copy.deepcopy(self._values[key])
        return copy.deepcopy(DEFAULTS.get(key))

    def set(self, key: str, value: Any) -> None:
        if self.get(key) == value:
            return
        self._values[key] = copy.deepcopy(value)
        self.save()
        for callback in list(self._callbacks):
            callback(key)

    def on_changed(self, callback: Callable[[str], None]) -> Callable[[], None]:
        """Call `callback(key)` after each change; returns a function that unsubscribes it."""
        self._callbacks.append(callback)
        return lambda: self._callbacks.remove(callback) if callback in self._callbacks else None

    # --- recent projects ----------------------------------------------------------------------------
    def recent_projects(self) -> list[str]:
        return [p for p in self.get("recent_projects") if isinstance(p, str)]

    def add_recent_project(self, path: str | Path) -> None:
        entry = str(Path(path).resolve())
        recent = [entry] + [p for p in self.recent_projects() if p != entry]
        self.set("recent_projects", recent[:MAX_RECENT])

    # --- per-project state ------------------------------------------------------------------------
    def _project_file(self, root: str | Path) -> Path:
        digest = hashlib.sha256(str(Path(root).resolve()).encode()).hexdigest()[:16]
        return self.folder / "projects" / f"{digest}.json"

    def project_state(self, root: str | Path) -> dict[str, Any]:
        try:
            data = json.loads(self._project_file(root).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def set_project_state(self, root: str | Path, state: dict[str, Any]) -> None:
        try:
            payload = {"root": str(Path(root).resolve()), **state}
            _atomic_write(self._project_file(root), json.dumps(payload, indent=2) + "\n")
        except (OSError, TypeError, ValueError) as exc:
            self.problem = f"Cannot save the project state: {exc}"
            messages.error(self.problem)

    @property
    def backup_dir(self) -> Path:
        return self.folder / "backups"
