"""Projects without a template: Python files whose top-level functions look like handlers."""

from __future__ import annotations

import ast
import os
import sys
from pathlib import Path

from app.project.model import FunctionSpec

SKIP_DIRS = {".git", ".hg", ".venv", "venv", "env", "node_modules", "__pycache__", ".aws-sam", "tests", "test",
             "build", "dist", ".tox", ".mypy_cache", ".pytest_cache", ".lambda-studio", "site-packages"}  # fmt: skip
MAX_FILES = 500
MAX_FILE_BYTES = 2 * 1024 * 1024


def local_runtime() -> str:
    return f"python{sys.version_info.major}.{sys.version_info.minor}"


def discover_handlers(root: Path) -> list[FunctionSpec]:
    """A FunctionSpec for each top-level ``def name(event, context)`` in the folder's Python files."""
    specs: list[FunctionSpec] = []
    seen = 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith("."))
        for filename in sorted(filenames):
            if not filename.endswith(".py") or filename.startswith("test_") or filename == "conftest.py":
                continue
            seen += 1
            if seen > MAX_FILES:
                break
            specs.extend(_handlers_in(root, Path(dirpath) / filename))
        if seen > MAX_FILES:
            break
    return sorted(specs, key=lambda spec: spec.logical_id)


def _handlers_in(root: Path, path: Path) -> list[FunctionSpec]:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return []
        tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
    except (OSError, SyntaxError, ValueError, RecursionError):
        return []
    rel = path.relative_to(root).with_suffix("")
    if rel.name == "__init__":
        rel = rel.parent
    module = "/".join(rel.parts)
    if not module or not all(part.isidentifier() for part in rel.parts):
        return []
    out = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and _looks_like_handler(node):
            handler = f"{module}.{node.name}"
            out.append(
                FunctionSpec(
                    logical_id=handler,
                    function_name=f"{rel.name}-{node.name}".replace("_", "-"),
                    handler=handler,
                    runtime=local_runtime(),
                    template_path=None,
                    line=node.lineno,
                    column=node.col_offset + 1,
                    resource_type="PythonFile",
                    code_dir=root,
                )
            )
    return out


def _looks_like_handler(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    args = [a.arg.lstrip("_") for a in node.args.posonlyargs + node.args.args]
    return args == ["event", "context"]
