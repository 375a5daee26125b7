"""`lambda-studio serve PROJECT`: a warm, hot-reloading local Lambda Invoke API for every function."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import Any

from app.invoke import function_config, profile_credentials
from app.project.loader import ProjectLoadError, load_project
from runner.emulator import Emulator, InvokeServer
from runner.process import ProcessBackend, load_env_vars_file
from runner.result import SetupError

NAME = "serve"


def register(sub: Any) -> None:
    p = sub.add_parser(
        NAME, help="serve the Lambda Invoke API locally for every function (boto3 endpoint_url)"
    )
    p.add_argument("project", help="project folder, or a template file")
    p.add_argument(
        "--port", type=int, default=3001, help="port to listen on (default 3001, like sam local start-lambda)"
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1 only)")
    p.add_argument("--env-vars", "-n", help="SAM --env-vars JSON file overriding environment variables")
    p.add_argument(
        "--profile", help="pass this AWS profile's credentials to the functions (default: dummy ones)"
    )
    p.set_defaults(func=run)


def _log(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def build(project_path: str, env_vars_file: str | None, backend: ProcessBackend) -> dict[str, Emulator]:
    """Emulators for every function that can run locally, by function name and logical id; blocks."""
    project = load_project(project_path)
    env_vars = load_env_vars_file(env_vars_file) if env_vars_file else None
    functions: dict[str, Emulator] = {}
    for spec in project.functions:
        try:
            emu = backend.emulator_for(function_config(project, spec, env_vars), _log)
        except SetupError as exc:
            _log(f"lambda-studio: skipping {spec.logical_id}: {exc}")
            continue
        emu.log_sink = _log
        functions[spec.function_name] = emu
        functions[spec.logical_id] = emu
    return functions


def run(args: argparse.Namespace, stop: threading.Event | None = None) -> int:
    try:
        credentials = profile_credentials(args.profile) if getattr(args, "profile", None) else None
    except SetupError as exc:
        print(f"lambda-studio: {exc}", file=sys.stderr)
        return 2
    backend = ProcessBackend(credentials=credentials)
    try:
        try:
            functions = build(args.project, args.env_vars, backend)
        except (ProjectLoadError, SetupError) as exc:
            print(f"lambda-studio: {exc}", file=sys.stderr)
            return 2
        if not functions:
            print(f"lambda-studio: no function of {args.project} can run locally", file=sys.stderr)
            return 2
        try:
            server = InvokeServer(lambda: functions, args.host, args.port).start()
        except OSError as exc:
            print(
                f"lambda-studio: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}",
                file=sys.stderr,
            )
            return 2
        for emu in set(functions.values()):
            emu.prewarm()
        url = f"http://{args.host}:{server.port}"
        print(f"Serving the Lambda Invoke API on {url} (Ctrl-C to stop); functions:", file=sys.stderr)
        for name in sorted(functions):
            print(f"    {name}", file=sys.stderr)
        print(f'    boto3.client("lambda", endpoint_url="{url}").invoke(FunctionName=...)', file=sys.stderr)
        sys.stderr.flush()
        event = stop or threading.Event()
        if threading.current_thread() is threading.main_thread():
            # SIGTERM (docker stop, systemd, an IDE's stop button) and SIGHUP (the terminal closed) end
            # as cleanly as Ctrl-C: every runtime and what it started goes with the server.
            for name in ("SIGTERM", "SIGHUP"):
                if hasattr(signal, name):
                    signal.signal(getattr(signal, name), lambda *_: event.set())
        try:
            while not event.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        server.shutdown()
        return 0
    finally:
        backend.close()
