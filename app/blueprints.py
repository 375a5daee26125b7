"""Project blueprints: the starter SAM projects a user can create, and creating one on disk."""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from resources import RESOURCES_DIR
from runner.errors import UserFacingError

BLUEPRINTS_DIR = RESOURCES_DIR / "blueprints"
INDEX_FILE = "index.json"
PLACEHOLDER = "{{project_name}}"

# Lowercase so the name also works in S3 bucket names, stack names and resource names;
# 32 characters leaves room for the suffixes the templates add (account id, region).
PROJECT_NAME_RE = re.compile(r"[a-z](?:[a-z0-9-]{0,30}[a-z0-9])?")
PROJECT_NAME_MAX = 32

# Left behind by running a blueprint's own tests in place; never part of a new project.
_SKIPPED_NAMES = {"__pycache__", ".pytest_cache", ".ruff_cache", ".mypy_cache", ".aws-sam", ".DS_Store"}
_SKIPPED_SUFFIXES = {".pyc", ".pyo"}


class BlueprintError(UserFacingError, ValueError):
    """A blueprint cannot be listed or a project cannot be created; the message says why and what to do."""


@dataclass(frozen=True)
class Blueprint:
    """One starter project: its id (a folder under resources/blueprints), how the UI names it."""

    id: str
    title: str
    description: str
    functions: tuple[str, ...] = ()
    root: Path | None = None

    @property
    def path(self) -> Path:
        return (self.root or BLUEPRINTS_DIR) / self.id


def list_blueprints(root: Path | None = None) -> list[Blueprint]:
    """The blueprints in the index, in the order the UI should offer them."""
    root = root or BLUEPRINTS_DIR
    index_path = root / INDEX_FILE
    try:
        index = json.loads(index_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BlueprintError(f"cannot read the blueprint index {index_path}: {exc}") from exc
    blueprints: list[Blueprint] = []
    for entry in index.get("blueprints", []):
        try:
            blueprint = Blueprint(
                id=str(entry["id"]),
                title=str(entry["title"]),
                description=str(entry.get("description", "")),
                functions=tuple(str(f) for f in entry.get("functions", [])),
                root=root,
            )
        except (KeyError, TypeError) as exc:
            raise BlueprintError(f"{index_path}: an entry lacks an id or a title: {entry!r}") from exc
        blueprints.append(blueprint)
    return blueprints


def get_blueprint(blueprint_id: str, root: Path | None = None) -> Blueprint:
    for blueprint in list_blueprints(root):
        if blueprint.id == blueprint_id:
            return blueprint
    known = ", ".join(b.id for b in list_blueprints(root))
    raise BlueprintError(f"no blueprint {blueprint_id!r}; choose one of: {known}")


def project_name_problem(name: str) -> str | None:
    """Why a project name cannot be used, or None when it can (for validating as the user types)."""
    if not name:
        return "Enter a project name."
    if len(name) > PROJECT_NAME_MAX:
        return f"A project name has at most {PROJECT_NAME_MAX} characters."
    if not PROJECT_NAME_RE.fullmatch(name):
        return (
            "A project name uses lowercase letters, digits and hyphens, starts with a letter "
            "and does not end with a hyphen (it becomes part of stack and bucket names)."
        )
    return None


def create_project(
    blueprint_id: str, dest_dir: Path | str, project_name: str, root: Path | None = None
) -> Path:
    """Create a new project from a blueprint at dest_dir, all or nothing; return its path.

    dest_dir must not exist or be an empty directory. The project is built in a temporary
    sibling directory and renamed into place, so a failure never leaves half a project.
    """
    problem = project_name_problem(project_name)
    if problem:
        raise BlueprintError(problem)
    blueprint = get_blueprint(blueprint_id, root)
    source = blueprint.path
    if not (source / "template.yaml").is_file():
        raise BlueprintError(
            f"blueprint {blueprint_id!r} is incomplete: {source / 'template.yaml'} is missing"
        )
    dest = Path(dest_dir).expanduser().absolute()
    if dest.exists():
        if not dest.is_dir():
            raise BlueprintError(f"{dest} is a file; choose a folder that does not exist yet or is empty")
        if any(dest.iterdir()):
            raise BlueprintError(f"{dest} is not empty; choose a folder that does not exist yet or is empty")
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".creating", dir=dest.parent))
    except OSError as exc:
        raise BlueprintError(f"cannot create a project in {dest.parent}: {exc.strerror or exc}") from exc
    try:
        _copy_tree(source, staging, {PLACEHOLDER: project_name})
        if dest.exists():
            dest.rmdir()  # empty, checked above; rename cannot replace a directory on every platform
        os.rename(staging, dest)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise BlueprintError(f"cannot create {dest}: {exc.strerror or exc}") from exc
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return dest


def _copy_tree(source: Path, target: Path, replacements: dict[str, str]) -> None:
    """Copy source's files into the existing target, substituting placeholders in text files."""
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if any(part in _SKIPPED_NAMES for part in relative.parts) or path.suffix in _SKIPPED_SUFFIXES:
            continue
        out = target / relative
        if path.is_dir():
            out.mkdir(parents=True, exist_ok=True)
            continue
        out.parent.mkdir(parents=True, exist_ok=True)
        data = path.read_bytes()
        text = _as_text(data)
        if text is not None:
            for placeholder, value in replacements.items():
                text = text.replace(placeholder, value)
            data = text.encode("utf-8")
        out.write_bytes(data)
        shutil.copymode(path, out)


def _as_text(data: bytes) -> str | None:
    """The file's text when it is UTF-8 text; None for binary content, which is copied untouched."""
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None
