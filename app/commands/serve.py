"""`lambda-studio serve PROJECT`: a warm, hot-reloading local Lambda Invoke API for every function."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import Any

from app.invoke import BACKENDS, profile_credentials, select_backend
from app.local.functions import LocalFunctions
from app.project.loader import ProjectLoadError, load_project
from runner.emulator import InvokeServer
from runner.env_vars import load_env_vars_file
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
    p.add_argument("--backend", choices=BACKENDS, default="auto", help="where functions run (as `invoke`)")
    p.add_argument(
        "--concurrency",
        type=_positive,
        default=10,
        help="concurrent invokes per function; more are throttled with 429 (default 10)",
    )
    p.set_defaults(func=run)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {text!r}")
    return value


def _log(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def build(args: argparse.Namespace) -> LocalFunctions:
    """The project's functions behind the chosen backend; raises SetupError or ProjectLoadError. Blocks."""
    credentials = profile_credentials(args.profile) if getattr(args, "profile", None) else None
    project = load_project(args.project)
    env_vars = load_env_vars_file(args.env_vars) if getattr(args, "env_vars", None) else None
    options: dict[str, Any] = {"concurrency": getattr(args, "concurrency", 10), "project": str(project.root)}
    if credentials:
        options["credentials"] = credentials
    backend = select_backend(getattr(args, "backend", "auto"), **options)
    return LocalFunctions(project, backend, env_vars)


def run(args: argparse.Namespace, stop: threading.Event | None = None) -> int:
    try:
        local = build(args)
    except (ProjectLoadError, SetupError) as exc:
        print(f"lambda-studio: {exc}", file=sys.stderr)
        return 2
    try:
        targets = local.served(_log)
        for logical_id, why in local.skipped.items():
            _log(f"lambda-studio: skipping {logical_id}: {why}")
        if not targets:
            print(f"lambda-studio: no function of {args.project} can run locally", file=sys.stderr)
            return 2
        try:
            server = InvokeServer(lambda: targets, args.host, args.port, log=_log).start()
        except OSError as exc:
            print(
                f"lambda-studio: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}",
                file=sys.stderr,
            )
            return 2
        # Containers take a second or two each to start: warm them while serve already answers.
        threading.Thread(target=local.prewarm, args=(_log,), name="prewarm", daemon=True).start()
        url = f"http://{args.host}:{server.port}"
        print(
            f"Serving the Lambda Invoke API on {url} ({local.backend.name} backend, up to "
            f"{getattr(args, 'concurrency', 10)} concurrent invokes per function; Ctrl-C to stop); functions:",
            file=sys.stderr,
        )
        for name in sorted(targets):
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
        server.shutdown()  # events still queued are reported in the log, not dropped silently
        return 0
    finally:
        local.close()
