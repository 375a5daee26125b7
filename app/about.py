"""What Lambda Studio is made of: bundled components, their versions and licences, and where their texts are.

Qt-free and stdlib-only: the About dialog reads it, and the bundle build (packaging/lambda-studio.spec)
calls `collect_licenses` to copy every licence text into the bundle's ``licenses/`` folder, because a
frozen bundle carries no ``*.dist-info`` folders for `importlib.metadata` to read.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from app import __version__

LICENSES_DIR_NAME = "licenses"
INDEX_NAME = "index.json"
_SHIPPED = Path(__file__).resolve().parent.parent / "resources" / "licenses"
_LICENSE_WORDS = ("LICEN", "COPYING", "NOTICE", "AUTHORS")


@dataclass(frozen=True)
class Component:
    """One bundled component as the About dialog lists it."""

    name: str
    version: str
    license: str
    distributions: tuple[str, ...] = ()
    extra_texts: tuple[str, ...] = ()  # files in resources/licenses (texts the wheels do not carry)
    texts: tuple[Path, ...] = field(default=(), compare=False)


# (shown name, SPDX licence, distributions whose licence files we copy, extra texts in resources/licenses)
COMPONENTS: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("Lambda Studio", "MIT", ("lambda-studio",), ("LambdaStudio-MIT.txt",)),
    ("Python", "PSF-2.0", (), ()),
    (
        "Qt 6 / PySide6 / Shiboken6",
        "LGPL-3.0-only",
        ("PySide6", "PySide6-Essentials", "shiboken6"),
        ("LGPL-3.0.txt", "GPL-3.0.txt"),
    ),
    (
        "Scintilla (pyside6-scintilla bindings: MIT)",
        "HPND-style Scintilla licence",
        ("pyside6-scintilla",),
        ("Scintilla.txt",),
    ),
    ("Lexilla (lexilla bindings: MIT)", "HPND-style Scintilla licence", ("lexilla",), ("Lexilla.txt",)),
    ("Docker SDK for Python", "Apache-2.0", ("docker",), ()),
    ("boto3", "Apache-2.0", ("boto3",), ()),
    ("botocore", "Apache-2.0", ("botocore",), ()),
    ("s3transfer", "Apache-2.0", ("s3transfer",), ()),
    ("jmespath", "MIT", ("jmespath",), ()),
    ("python-dateutil", "Apache-2.0 AND BSD-3-Clause", ("python-dateutil",), ()),
    ("six", "MIT", ("six",), ()),
    ("requests", "Apache-2.0", ("requests",), ()),
    ("urllib3", "MIT", ("urllib3",), ()),
    ("certifi", "MPL-2.0", ("certifi",), ()),
    ("charset-normalizer", "MIT", ("charset-normalizer",), ()),
    ("idna", "BSD-3-Clause", ("idna",), ()),
    ("PyYAML", "MIT", ("PyYAML",), ()),
    ("platformdirs", "MIT", ("platformdirs",), ()),
    ("jedi", "MIT", ("jedi",), ()),
    ("parso", "MIT", ("parso",), ()),
    ("pyflakes", "MIT", ("pyflakes",), ()),
    ("pip (the bundle runs it to install requirements)", "MIT", ("pip",), ()),
)


def frozen_root() -> Path | None:
    """The bundle's data folder when running from a PyInstaller bundle, else None."""
    base = getattr(sys, "_MEIPASS", None)
    return Path(base) if getattr(sys, "frozen", False) and base else None


def _dist_version(names: tuple[str, ...]) -> str:
    for name in names:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return ""


def _dist_license_files(name: str) -> list[Path]:
    try:
        dist = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return []
    out: list[Path] = []
    for entry in dist.files or ():
        parts = entry.parts
        if not parts or not parts[0].endswith(".dist-info"):
            continue
        if any(word in parts[-1].upper() for word in _LICENSE_WORDS) or "licenses" in parts[1:-1]:
            path = Path(str(dist.locate_file(entry)))
            if path.is_file():
                out.append(path)
    return out


def python_license() -> Path | None:
    """The interpreter's LICENSE.txt (the stdlib folder holds it on every platform python.org builds)."""
    for candidate in (
        Path(os.__file__).resolve().parent / "LICENSE.txt",
        Path(sys.base_prefix) / "LICENSE.txt",
    ):
        if candidate.is_file():
            return candidate
    return None


def _python_version() -> str:
    return ".".join(str(n) for n in sys.version_info[:3])


def installed_components() -> list[Component]:
    """The components and licence texts as this (non-frozen) installation has them; blocks on disk reads."""
    out = []
    for name, spdx, dists, extras in COMPONENTS:
        if name == "Python":
            lic = python_license()
            out.append(Component(name, _python_version(), spdx, (), (), (lic,) if lic else ()))
            continue
        version = __version__ if dists == ("lambda-studio",) else _dist_version(dists)
        texts = [_SHIPPED / e for e in extras if (_SHIPPED / e).is_file()]  # upstream's own text first
        texts += [p for d in dists for p in _dist_license_files(d) if d != "lambda-studio"]
        out.append(Component(name, version, spdx, dists, extras, tuple(texts)))
    return out


def collect_licenses(dest: Path) -> list[Component]:
    """Copies every component's licence texts to dest/<component>/ and writes dest/index.json; blocks."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    index = []
    collected = []
    for comp in installed_components():
        folder = "".join(c if c.isalnum() or c in "-_." else "_" for c in comp.name.split(" (")[0])
        rel: list[str] = []
        for src in comp.texts:
            target = dest / folder / src.name
            n = 1
            while target.exists():  # two distributions may both ship a LICENSE
                n += 1
                target = dest / folder / f"{src.stem}-{n}{src.suffix}"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, target)
            rel.append(target.relative_to(dest).as_posix())
        index.append({"name": comp.name, "version": comp.version, "license": comp.license, "texts": rel})
        collected.append(comp)
    (dest / INDEX_NAME).write_text(json.dumps(index, indent=1) + "\n", encoding="utf-8")
    return collected


def bundled_components(root: Path) -> list[Component]:
    """The components recorded in a bundle's licenses/index.json (empty if it is missing or unreadable)."""
    try:
        index = json.loads((root / INDEX_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [
        Component(
            str(item["name"]),
            str(item["version"]),
            str(item["license"]),
            texts=tuple(root / t for t in item.get("texts", [])),
        )
        for item in index
        if isinstance(item, dict) and "name" in item
    ]


def components() -> list[Component]:
    """What this running copy of Lambda Studio is made of: from the bundle's index when frozen."""
    root = frozen_root()
    if root is not None:
        return bundled_components(root / LICENSES_DIR_NAME)
    return installed_components()


def read_texts(component: Component) -> str:
    """All licence texts of a component, each headed by its file name."""
    parts = []
    for path in component.texts:
        try:
            body = path.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            body = f"(cannot read {path}: {exc.strerror or exc})"
        parts.append(f"==== {path.name} ====\n\n{body.rstrip()}\n")
    return "\n".join(parts) if parts else "(no licence text found)"
