"""Debug invokes for the CLI and the window: a concrete backend, and how a debugger attaches."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.invoke import select_backend
from runner.backends.auto import AutoBackend
from runner.backends.contract import Backend
from runner.config import FunctionConfig
from runner.debug.session import debug_paths, launch_json


def debug_backend(name: str, config: FunctionConfig, **options: Any) -> tuple[Backend, str | None]:
    """(backend, note) for one debug invoke; raises SetupError. The backend is the debug invoke's own:
    it leaves other containers of this app alone (the window's warm ones carry the same owner label).
    For 'auto' the backend decides where the invoke runs before it starts (AutoBackend.choose), because
    the debugger must know where the code lives (/var/task or the local folder); ``backend.name`` says
    which, the note why it is a local process."""
    backend = select_backend(name, **{**options, "remove_orphans": False})
    if isinstance(backend, AutoBackend):
        note = backend.choose(config)
        return backend, note and note.replace("Ran as a local process", "Debugging as a local process")
    return backend, None


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
