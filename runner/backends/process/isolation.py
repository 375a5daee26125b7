"""What a local runtime on our own interpreter may import: the stdlib, its code, and the AWS SDK only.

Lambda's Python runtime offers the function its task root, its layers, the AWS SDK that
ships in /var/runtime, and the standard library. A function run on Lambda Studio's own
interpreter must not see the IDE's site-packages (Qt, Lambda Studio's own ``app`` package,
test tools): a handler module named ``app`` that is missing would otherwise import ours.
So the runtime starts with ``-S`` (no site-packages) and gets a folder of links to just
the packages Lambda provides.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
from pathlib import Path

from runner.deps import build_once

# boto3 and what it imports: what Lambda's Python runtime has in /var/runtime.
AWS_SDK = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six", "urllib3")


def _locations(names: tuple[str, ...]) -> dict[str, Path]:
    """Where each top-level package or module lives on disk (those not found, or frozen, are left out)."""
    out: dict[str, Path] = {}
    for name in names:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            continue
        if spec is None or not spec.origin or not os.path.exists(spec.origin):
            continue
        origin = Path(spec.origin)
        out[name] = origin.parent if spec.submodule_search_locations else origin
    return out


def linked_packages(cache_dir: Path, names: tuple[str, ...] = AWS_SDK) -> Path | None:
    """A folder holding links to (or copies of) just these packages of our interpreter; blocks.

    Cached by the packages' locations, so it is made once per installation. None when none exist.
    """
    found = _locations(names)
    if not found:
        return None
    key = hashlib.sha256(repr(sorted((k, str(v)) for k, v in found.items())).encode()).hexdigest()[:16]

    def build(tmp: Path) -> None:
        for path in found.values():
            link = tmp / path.name
            try:
                link.symlink_to(path, target_is_directory=path.is_dir())
            except OSError:  # no symlink permission (Windows without developer mode): copy instead
                if path.is_dir():
                    shutil.copytree(path, link, ignore=shutil.ignore_patterns("__pycache__"))
                else:
                    shutil.copy2(path, link)

    return build_once(Path(cache_dir) / "runtime-packages" / key, build)[0]
