"""Debug invokes for the CLI and the window: a concrete backend, and how a debugger attaches."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.invoke import Backend, select_backend
from runner.config import FunctionConfig
from runner.debug import debug_paths, launch_json
from runner.result import SetupError


def debug_backend(name: str, config: FunctionConfig, **options: Any) -> tuple[Backend, str | None]:
    """(backend, note) for a debug invoke; raises SetupError. 'auto' is decided here, before the
    invoke, because the debugger must know where the code lives (/var/task or the local folder):
    a container when an engine answers and the function's image is on this machine, else a process."""
    if name != "auto":
        return select_backend(name, **options), None
    from runner.container import ContainerBackend
    from runner.container_engine import has_image

    why: str | None
    try:
        container = select_backend("container", **options)
    except SetupError as exc:
        why = f"no docker engine ({exc})"
    else:
        assert isinstance(container, ContainerBackend)
        image = container.image_for(config)
        if has_image(container.client, image):
            return container, None
        container.close()
        why = f"the image {image} is not on this machine"
    process_options = {k: v for k, v in options.items() if k in ("cache_dir", "credentials", "python")}
    return select_backend("process", **process_options), f"Debugging as a local process: {why}."


def attach_help(config: FunctionConfig, backend: str, port: int, host: str = "127.0.0.1") -> str:
    """What the CLI prints: where debugpy waits, and a VS Code launch.json with the path mappings."""
    paths = debug_paths(config, backend)
    mappings = [(Path(local), remote) for local, remote in paths.pairs]  # none for a local process
    return (
        f"The function waits for a debugger (debugpy, Debug Adapter Protocol) on {host}:{port}; "
        "the function timeout is not enforced while debugging.\n"
        "Attach with VS Code (Run and Debug → this configuration in .vscode/launch.json) or any DAP "
        "client:\n" + launch_json(port, host, mappings)
    )
