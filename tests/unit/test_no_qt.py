"""The domain and the runner must import without Qt (house plan); the emulator without third parties."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

QT_PACKAGES = ("PySide6", "shiboken6", "pyside6_scintilla", "lexilla")


def modules_of(package: str) -> list[str]:
    root = REPO / package
    out = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(REPO).with_suffix("")
        parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
        out.append(".".join(parts))
    return out


@pytest.mark.parametrize("package", ["app", "runner"])
def test_every_module_imports_without_qt(package: str) -> None:
    modules = modules_of(package)
    assert len(modules) > 3
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {QT_PACKAGES!r})\n"
        "assert not bad, bad\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


CONTAINER_FILES = sorted((REPO / "runner" / "emulator").rglob("*.py")) + [
    REPO / "runner" / n for n in ("backends/container/rie_gate.py", "backends/process/bootstrap.py")
]


@pytest.mark.parametrize("path", CONTAINER_FILES, ids=lambda p: p.relative_to(REPO / "runner").as_posix())
def test_runner_files_that_run_in_containers_are_stdlib_only(path: Path) -> None:
    """The emulator package (mounted as a folder) and bootstrap.py run under an image's bare python3:
    standard library only, and the package's modules import each other relatively, never leaving it."""
    assert len(CONTAINER_FILES) > 8  # the whole package is walked, not one file
    tree = ast.parse(path.read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            imported.add(node.module.split(".")[0])
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 1, f"line {node.lineno}: a relative import out of the package"
    # image mode's gate imports gate_link.py, mounted next to it as a single file (checked here too)
    beside = {"gate_link"} if path.name == "rie_gate.py" else set()
    allowed = set(sys.stdlib_module_names) | {"__future__"} | beside
    assert imported <= allowed, imported - allowed


def test_gate_link_runs_alone_as_image_modes_gate_loads_it() -> None:
    """rie_gate.py imports runner/emulator/gate_link.py as a lone file: it must not import its package."""
    tree = ast.parse((REPO / "runner" / "emulator" / "gate_link.py").read_text())
    relative = [n.lineno for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level > 0]
    assert relative == []


def test_widgets_is_the_only_qt_package() -> None:
    offenders = []
    for package in ("app", "runner"):
        for path in (REPO / package).rglob("*.py"):
            for line in Path(path).read_text().splitlines():
                if line.lstrip().startswith(("import ", "from ")) and any(q in line for q in QT_PACKAGES):
                    offenders.append(f"{path.relative_to(REPO)}: {line.strip()}")
    assert offenders == []
