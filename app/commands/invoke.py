"""`lambda-studio invoke PROJECT FUNCTION`: one local invoke; payload on stdout, logs on stderr."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from app.events.store import EventStoreError, load_saved_event
from app.invoke import BACKENDS, function_config, profile_credentials, read_event, select_backend
from app.project.loader import ProjectLoadError, load_project
from runner.env_vars import load_env_vars_file
from runner.result import SetupError

NAME = "invoke"


def register(sub: Any) -> None:
    p = sub.add_parser(NAME, help="invoke a function locally once (payload on stdout, logs on stderr)")
    p.add_argument("project", help="project folder, or a template file")
    p.add_argument("function", help="logical id (or function name) of the function")
    source = p.add_mutually_exclusive_group()
    source.add_argument("--event", "-e", help="event JSON file, or - for stdin (default: {})")
    source.add_argument(
        "--event-name",
        help="a saved event: events/FUNCTION/NAME.json in the project (or the project-wide events/NAME.json)",
    )
    p.add_argument("--env-vars", "-n", help="SAM --env-vars JSON file overriding environment variables")
    p.add_argument("--backend", choices=BACKENDS, default="auto", help="where to run the function")
    p.add_argument(
        "--profile", help="pass this AWS profile's credentials to the function (default: dummy ones)"
    )
    p.add_argument("--json", action="store_true", help="print the whole result as JSON on stdout")
    p.add_argument(
        "--debug",
        action="store_true",
        help="start the runtime under debugpy and wait for a debugger (prints how to attach)",
    )
    p.add_argument(
        "--debug-port",
        type=int,
        metavar="N",
        help="with --debug: debugpy listens on 127.0.0.1:N (implies --debug; for VS Code and other DAP clients)",
    )
    p.set_defaults(func=run)


def _fail(args: argparse.Namespace, message: str) -> int:
    if args.json:
        print(json.dumps({"error": message}))
    print(f"lambda-studio: {message}", file=sys.stderr)
    return 2


def _saved_event(root: Path, function_id: str, name: str) -> bytes:
    try:
        return load_saved_event(root, function_id, name)
    except EventStoreError as exc:
        raise SetupError(str(exc)) from exc


def run(args: argparse.Namespace) -> int:
    try:
        project = load_project(args.project)
    except ProjectLoadError as exc:
        return _fail(args, str(exc))
    spec = project.function(args.function)
    if spec is None:
        known = ", ".join(fn.logical_id for fn in project.functions) or "none"
        return _fail(args, f"no function {args.function!r} in {project.root} (functions: {known})")
    try:
        env_vars = load_env_vars_file(args.env_vars) if args.env_vars else None
        config = function_config(project, spec, env_vars)
        event = (
            _saved_event(project.root, spec.logical_id, args.event_name)
            if args.event_name
            else read_event(args.event)
        )
        options: dict[str, Any] = {"project": str(project.root)}  # the containers' label
        if args.profile:
            options["credentials"] = profile_credentials(args.profile)
        if args.debug or args.debug_port:
            return _debug_run(args, config, event, options)
        backend = select_backend(args.backend, **options)
    except SetupError as exc:
        return _fail(args, str(exc))

    def sink(line: str) -> None:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()

    # A terminated or hung-up CLI still stops its runtime and every process the function started.
    previous = _on_stop_signals(_exit_on_sigterm)
    try:
        result = backend.invoke(config, event, sink)
    except SetupError as exc:
        return _fail(args, str(exc))
    finally:
        backend.close()
        for signum, old in previous.items():
            signal.signal(signum, old)
    return _print_result(args, result)


_STOP_SIGNALS = tuple(getattr(signal, n) for n in ("SIGTERM", "SIGHUP") if hasattr(signal, n))


def _on_stop_signals(handler: Any) -> dict[int, Any]:
    """Sets handler for SIGTERM and SIGHUP (main thread only); returns the previous handlers."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    return {signum: signal.signal(signum, handler) for signum in _STOP_SIGNALS}


def _sink(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def _debug_run(args: argparse.Namespace, config: Any, event: bytes, options: dict[str, Any]) -> int:
    """--debug / --debug-port: the invoke waits under debugpy for an external debugger; blocks."""
    from app.debug import attach_help, debug_backend
    from runner.debug.session import DebugOptions
    from runner.ports import free_port

    port = args.debug_port or free_port()
    backend, note = debug_backend(args.backend, config, **options)
    # A terminated CLI must still stop its runtime (or container): it would wait for a debugger forever.
    previous = signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        if note:
            _sink(f"lambda-studio: {note}")
        _sink(f"lambda-studio: debug invoke of {config.function_id} ({backend.name} backend)")
        help_text = attach_help(config, backend.name, port)
        # Printed once debugpy listens: a client that attaches at once (as VS Code does) must not
        # meet a port that is published but not yet served.
        result = backend.invoke(
            config, event, _sink, debug=DebugOptions(port, on_listening=lambda: _sink(help_text))
        )
    except SetupError as exc:
        return _fail(args, str(exc))
    finally:
        backend.close()
        signal.signal(signal.SIGTERM, previous)
    return _print_result(args, result)


def _exit_on_sigterm(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


def _print_result(args: argparse.Namespace, result: Any) -> int:
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
    else:
        sys.stdout.buffer.write(result.payload + b"\n")
        sys.stdout.flush()
    return 0 if result.ok else 1
