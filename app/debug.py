"""Debug invokes for the CLI and the window: a concrete backend, and how a debugger attaches."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.invoke import Backend, select_backend
from runner.config import FunctionConfig
from runner.debug import debug_paths, launch_json
from runner.result import SetupError

if TYPE_CHECKING:
    from runner.container import ContainerBackend


def debug_backend(name: str, config: FunctionConfig, **options: Any) -> tuple[Backend, str | None]:
    """(backend, note) for a debug invoke; raises SetupError. 'auto' is decided here, before the
    invoke, because the debugger must know where the code lives (/var/task or the local folder):
    a container when an engine answers and the function's image is on this machine, else a process."""
    process_options = {k: v for k, v in options.items() if k in ("cache_dir", "credentials", "python")}
    if name == "process":
        return select_backend("process", **process_options), None
    if name == "container":
        return _container_backend(options), None
    if name != "auto":
        return select_backend(name, **options), None  # the unknown name's error
    from runner.container_engine import has_image

    why: str | None
    try:
        container = _container_backend(options)
    except SetupError as exc:
        why = f"no docker engine ({exc})"
    else:
        image = container.image_for(config)
        if has_image(container.client, image):
            return container, None
        container.close()
        why = f"the image {image} is not on this machine"
    return select_backend("process", **process_options), f"Debugging as a local process: {why}."


def _container_backend(options: dict[str, Any]) -> ContainerBackend:
    """A container backend of its own for one debug invoke. It leaves other containers of this app
    alone (remove_orphans=False): the window's warm ones carry the same owner label."""
    from runner.container import ContainerBackend
    from runner.container_engine import connect
    from runner.process import default_cache_dir

    client = options.get("docker_client") or connect()
    cache_dir = Path(options.get("cache_dir") or default_cache_dir()) / "container"
    extra: dict[str, Any] = {}
    for key, arg in (
        ("images", "images"),
        ("container_image", "image_override"),
        ("credentials", "credentials"),
        ("pull_progress", "pull_progress"),
    ):
        if options.get(key):
            extra[arg] = options[key]
    from runner.container_sandbox import project_label

    project = project_label(options.get("project"))
    return ContainerBackend(client, project, cache_dir, remove_orphans=False, **extra)


def attach_help(config: FunctionConfig, backend: str, port: int, host: str = "127.0.0.1") -> str:
    """What the CLI prints: where debugpy waits, and a VS Code launch.json with the path mappings."""
    paths = debug_paths(config, backend)
    mappings = [(Path(local), remote) for local, remote in paths.pairs]  # none for a local process
    return (
        f"The function waits for a debugger (debugpy, Debug Adapter Protocol) on {host}:{port}; "
        "the function timeout is not enforced while an external debugger is attached.\n"
        "Attach with VS Code (Run and Debug → this configuration in .vscode/launch.json) or any DAP "
        "client:\n" + launch_json(port, host, mappings)
    )
