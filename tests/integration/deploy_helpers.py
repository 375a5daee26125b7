"""Small builders shared by the deploy tests: a function folder on disk and its FunctionSpec."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from app.deploy.plan import DeployOptions
from app.project.model import FunctionSpec, LayerSpec

HANDLER = "import six\n\n\ndef handler(event, context):\n    return {'ok': True, 'six': six.__version__}\n"
REQUIREMENT = "six==1.17.0\n"  # tiny and pure Python: one file


def persistent_deps_cache() -> Path:
    """pip results survive between test runs here, so only the first run downloads."""
    root = os.environ.get("LAMBDA_STUDIO_TEST_CACHE") or Path.home() / ".cache" / "lambda-studio-test"
    path = Path(root) / "deploy-deps"
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir(tmp_path: Path) -> Path:
    """A private build dir whose deps/ is the shared pip cache."""
    cache = tmp_path / "cache"
    cache.mkdir(exist_ok=True)
    if not (cache / "deps").exists():
        (cache / "deps").symlink_to(persistent_deps_cache(), target_is_directory=True)
    return cache


def make_function(
    root: Path, name: str | None = None, *, requirements: str = REQUIREMENT, layer: bool = False
) -> FunctionSpec:
    """A function folder under `root`; its name (and its layer's) is unique to `root`, so tests share a server."""
    name = name or "fn-" + hashlib.sha1(str(root).encode()).hexdigest()[:10]
    code = root / "src" / "hello"
    code.mkdir(parents=True, exist_ok=True)
    (code / "app.py").write_text(HANDLER)
    if requirements:
        (code / "requirements.txt").write_text(requirements)
    layers = []
    if layer:
        content = root / "layers" / "common" / "python" / "common"
        content.mkdir(parents=True, exist_ok=True)
        (content / "__init__.py").write_text("VALUE = 1\n")
        layers.append(LayerSpec("CommonLayer", content_dir=root / "layers" / "common", name=f"{name}-common"))
    return FunctionSpec(
        logical_id="HelloFunction",
        function_name=name,
        handler="app.handler",
        runtime="python3.12",
        template_path=root / "template.yaml",
        code_dir=code,
        memory_size=256,
        timeout=10,
        environment={"STAGE": "dev"},
        layers=layers,
    )


def options(tmp_path: Path, **kwargs: object) -> DeployOptions:
    return DeployOptions(cache_dir=cache_dir(tmp_path), iam_propagation_timeout=5, **kwargs)  # type: ignore[arg-type]
